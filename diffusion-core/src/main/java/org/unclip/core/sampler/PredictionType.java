package org.unclip.core.sampler;

import java.util.Arrays;

/** What a denoiser's (first three, or all) output channels mean. */
public enum PredictionType {
    /** The noise ε that was added. */
    EPSILON("epsilon"),
    /** The clean sample x0 itself (the unCLIP prior). */
    SAMPLE("sample"),
    /** v = √ᾱ·ε − √(1−ᾱ)·x0 (Salimans &amp; Ho). */
    V_PREDICTION("v_prediction");

    private final String configName;

    PredictionType(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static PredictionType fromConfig(String name) {
        for (PredictionType p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown prediction_type '" + name + "'; expected one of "
                + Arrays.stream(values()).map(PredictionType::configName).toList());
    }
}
