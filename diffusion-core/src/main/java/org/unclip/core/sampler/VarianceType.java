package org.unclip.core.sampler;

import java.util.Arrays;

/** How a DDPM step chooses the variance of the noise it adds (diffusers UnCLIPScheduler). */
public enum VarianceType {
    /** σ = √max(σ̃², 1e-20) with the posterior variance σ̃² = (1−ᾱ_prev)/(1−ᾱ_t)·β. */
    FIXED_SMALL_LOG("fixed_small_log"),
    /**
     * The model outputs a second set of channels v ∈ [−1,1]; log σ² = f·log β + (1−f)·log σ̃²,
     * f = (v+1)/2 (improved DDPM).
     */
    LEARNED_RANGE("learned_range");

    private final String configName;

    VarianceType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static VarianceType fromConfig(String name) {
        for (VarianceType v : values()) {
            if (v.configName.equals(name)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown variance_type '" + name + "'; expected one of "
                + Arrays.stream(values()).map(VarianceType::configName).toList());
    }
}
