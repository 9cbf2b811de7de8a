package org.unclip.prior;

/** A request the stage cannot run; the message says what was expected. */
final class InvalidRequestException extends RuntimeException {

    InvalidRequestException(String message) {
        super(message);
    }
}
