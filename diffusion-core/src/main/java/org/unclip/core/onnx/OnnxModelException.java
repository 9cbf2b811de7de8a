package org.unclip.core.onnx;

/** A model could not be loaded or run; the message says which model and what was expected. */
public final class OnnxModelException extends RuntimeException {

    public OnnxModelException(String message) {
        super(message);
    }

    public OnnxModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
