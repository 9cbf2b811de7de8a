package org.unclip.gateway.jobs;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Life of a generation job, as stored in the {@code state} field of its hash. */
public enum JobState {
    /** In the stream, not yet picked up by a worker. */
    QUEUED,
    /** A worker is calling the stages. */
    RUNNING,
    /** Images are stored under the job's result key. */
    SUCCEEDED,
    /** The {@code error_*} fields say why. */
    FAILED,
    /** Cancelled by {@code DELETE /v1/jobs/{id}} while queued or running. */
    CANCELLED;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static Optional<JobState> fromWireName(String name) {
        return Arrays.stream(values()).filter(s -> s.wireName().equals(name)).findFirst();
    }
}
