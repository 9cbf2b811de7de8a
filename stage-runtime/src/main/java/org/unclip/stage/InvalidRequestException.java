package org.unclip.stage;

/** A request the stage cannot run; the message says what was expected. It becomes INVALID_ARGUMENT. */
public final class InvalidRequestException extends RuntimeException {

    public InvalidRequestException(String message) {
        super(message);
    }
}
