package org.unclip.core.schedule;

import java.util.Arrays;

/** How the per-step noise variances β_t of the forward process are laid out. */
public enum BetaSchedule {
    /**
     * Nichol &amp; Dhariwal's cosine schedule: ᾱ(t) = cos²((t/T + 0.008)/1.008 · π/2), each β capped
     * at 0.999 (diffusers {@code betas_for_alpha_bar}).
     */
    SQUAREDCOS_CAP_V2("squaredcos_cap_v2"),
    /** β evenly spaced from {@code beta_start} to {@code beta_end} (DDPM; torch.linspace in float32). */
    LINEAR("linear");

    private final String configName;

    BetaSchedule(String configName) {
        this.configName = configName;
    }

    /** The name used in family.json and in diffusers configs. */
    public String configName() {
        return configName;
    }

    public static BetaSchedule fromConfig(String name) {
        for (BetaSchedule s : values()) {
            if (s.configName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown beta_schedule '" + name + "'; expected one of "
                + Arrays.stream(values()).map(BetaSchedule::configName).toList());
    }
}
