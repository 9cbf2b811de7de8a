package org.unclip.core.family;

/** Classifier-free guidance scales a stage accepts, and the one it uses when none is asked for. */
public record GuidanceRange(double defaultScale, double min, double max) {

    public GuidanceRange {
        if (!(min <= defaultScale && defaultScale <= max)) {
            throw new IllegalArgumentException("guidance needs min <= default <= max, got " + min + ", "
                    + defaultScale + ", " + max);
        }
    }

    public boolean contains(double scale) {
        return scale >= min && scale <= max;
    }
}
