package org.unclip.gateway.stages;

import io.grpc.Status;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A stage call failed: the stage's own answer, or a transport failure, after any retries. */
public class StageException extends RuntimeException {

    private final String stage;
    private final transient Status status;
    private final int attempts;
    private final boolean paramResolved;
    private final String param;

    /**
     * @param stage "text-encoder", "prior" or "decoder"
     * @param status the gRPC status the call ended with
     * @param attempts how many times the call was tried
     */
    public StageException(String stage, Status status, int attempts, Throwable cause) {
        this(stage, status, attempts, cause, false, null);
    }

    private StageException(String stage, Status status, int attempts, Throwable cause, boolean paramResolved, String param) {
        super(stage + " stage: " + status.getCode() + describe(status), cause);
        this.stage = Objects.requireNonNull(stage, "stage");
        this.status = status;
        this.attempts = attempts;
        this.paramResolved = paramResolved;
        this.param = param;
    }

    /**
     * The same failure, with the request field the stage's complaint is about, as the caller
     * knows it from what it sent in each row of the batch (see {@link #batchIndex}).
     *
     * @param param the field (e.g. {@code to.image}), or null when no single field is at fault
     */
    public StageException withParam(String param) {
        return new StageException(stage, status, attempts, getCause(), true, param);
    }

    /** True when the caller named the field at fault ({@link #withParam}); else it is guessed from the description. */
    public boolean paramResolved() {
        return paramResolved;
    }

    /** The field the caller named (null: none); only meaningful when {@link #paramResolved()}. */
    public String param() {
        return param;
    }

    /**
     * The row of the batch the stage's description names, as the stages write it ({@code
     * prompts[1] ...}, {@code images[0] ...}, {@code image 1: ...}), if any.
     */
    public OptionalInt batchIndex() {
        Matcher matcher = BATCH_INDEX.matcher(description());
        if (!matcher.find()) {
            return OptionalInt.empty();
        }
        String index = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
        try {
            return OptionalInt.of(Integer.parseInt(index));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static final Pattern BATCH_INDEX = Pattern.compile("\\b(?:prompts|images)\\[(\\d{1,4})]|\\bimage (\\d{1,4}):");

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
