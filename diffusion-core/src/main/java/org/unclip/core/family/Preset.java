package org.unclip.core.family;

import java.util.Arrays;

/** Named step-count presets every stage of a family defines. */
public enum Preset {
    FAST("fast"),
    QUALITY("quality");

    private final String configName;

    Preset(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static Preset fromConfig(String name) {
        for (Preset p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "'; expected one of "
                + Arrays.stream(values()).map(Preset::configName).toList());
    }
}
