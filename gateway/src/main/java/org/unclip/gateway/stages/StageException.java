package org.unclip.gateway.stages;

import io.grpc.Status;
import java.util.Objects;

/** A stage call failed: the stage's own answer, or a transport failure, after any retries. */
public class StageException extends RuntimeException {

    private final String stage;
    private final transient Status status;
    private final int attempts;

    /**
     * @param stage "text-encoder", "prior" or "decoder"
     * @param status the gRPC status the call ended with
     * @param attempts how many times the call was tried
     */
    public StageException(String stage, Status status, int attempts, Throwable cause) {
        super(stage + " stage: " + status.getCode() + describe(status), cause);
        this.stage = Objects.requireNonNull(stage, "stage");
        this.status = status;
        this.attempts = attempts;
    }

    public String stage() {
        return stage;
    }

    public Status status() {
        return status;
    }

    public int attempts() {
        return attempts;
    }

    /**
     * The stage's description, or empty; for transport failures ("io exception") the local cause,
     * e.g. "Connection refused: /127.0.0.1:9101", is appended.
     */
    public String description() {
        String description = status.getDescription() == null ? "" : status.getDescription();
        Throwable cause = status.getCause();
        if (cause != null && cause.getMessage() != null && !description.contains(cause.getMessage())) {
            description = description.isEmpty() ? cause.getMessage() : description + " (" + cause.getMessage() + ")";
        }
        return description;
    }

    private static String describe(Status status) {
        return status.getDescription() == null ? "" : " " + status.getDescription();
    }
}
