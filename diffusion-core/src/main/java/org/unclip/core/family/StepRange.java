package org.unclip.core.family;

/** A stage's step counts: the two presets and the accepted range [min, max]. */
public record StepRange(int fast, int quality, int min, int max) {

    public StepRange {
        if (min < 1 || min > max) {
            throw new IllegalArgumentException("steps need 1 <= min <= max, got min " + min + ", max " + max);
        }
        if (fast < min || fast > max || quality < min || quality > max) {
            throw new IllegalArgumentException("step presets fast " + fast + " and quality " + quality
                    + " must lie in [" + min + ", " + max + "]");
        }
    }

    public int forPreset(Preset preset) {
        return switch (preset) {
            case FAST -> fast;
            case QUALITY -> quality;
        };
    }

    public boolean contains(int steps) {
        return steps >= min && steps <= max;
    }
}
