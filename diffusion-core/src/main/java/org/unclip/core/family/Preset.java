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

    /**
     * The preset a request names, or {@code fallback} when it names none (null or blank).
     *
     * @throws IllegalArgumentException for any other name
     */
    public static Preset requested(String name, Preset fallback) {
        return name == null || name.isBlank() ? fallback : fromConfig(name);
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
