package org.unclip.stage.batch;

/** A stage refusing a call because as many runs as it lets wait already wait: RESOURCE_EXHAUSTED. */
public final class CapacityExceededException extends RuntimeException {

    public CapacityExceededException(String message) {
        super(message);
    }
}
