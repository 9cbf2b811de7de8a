package org.unclip.core.family;

/** A model family folder is unusable: family.json is missing, malformed, or inconsistent. */
public final class ModelFamilyException extends RuntimeException {

    public ModelFamilyException(String message) {
        super(message);
    }

    public ModelFamilyException(String message, Throwable cause) {
        super(message, cause);
    }
}
