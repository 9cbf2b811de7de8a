package org.unclip.core.sampler;

import java.util.Arrays;

/** The samplers a family can ask for. */
public enum SamplerKind {
    /** Ancestral DDPM, exactly diffusers' UnCLIPScheduler. */
    DDPM("ddpm"),
    /** DDIM with η (0 = deterministic). */
    DDIM("ddim"),
    /** DPM-Solver++(2M): deterministic, second order multistep; good images in fewer steps. */
    DPMPP_2M("dpmpp_2m");

    private final String configName;

    SamplerKind(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static SamplerKind fromConfig(String name) {
        for (SamplerKind k : values()) {
            if (k.configName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown sampler '" + name + "'; expected one of "
                + Arrays.stream(values()).map(SamplerKind::configName).toList());
    }
}
