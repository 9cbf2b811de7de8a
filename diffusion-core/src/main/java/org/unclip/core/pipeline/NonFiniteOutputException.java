package org.unclip.core.pipeline;

/** A model produced NaN or infinity: the job fails rather than returning a broken image. */
public final class NonFiniteOutputException extends RuntimeException {

    public NonFiniteOutputException(String message) {
        super(message);
    }
}
