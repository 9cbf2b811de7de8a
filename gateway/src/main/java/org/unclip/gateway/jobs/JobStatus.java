package org.unclip.gateway.jobs;

import java.time.Instant;
import java.util.Optional;
import org.unclip.gateway.errors.ApiError;

/**
 * A snapshot of a job hash.
 *
 * @param stage the stage now running ("text-encoder", "prior", "decoder", "upsampler-1", ...), or
 *     empty before the first one
 * @param step last finished step of that stage (1-based), 0 if none
 * @param totalSteps steps of that stage, 0 if unknown
 * @param attempts how many times a worker has started the job
 * @param error why the job failed, when {@code state} is FAILED
 * @param traceparent the W3C traceparent of the request that submitted the job, or empty
 */
public record JobStatus(
    String id,
    JobState state,
    String stage,
    int step,
    int totalSteps,
    int attempts,
    Instant createdAt,
    Instant updatedAt,
    Optional<ApiError> error,
    String traceparent) {

    /** The id of the trace the job belongs to (32 hex digits), or empty. */
    public String traceId() {
        return org.unclip.gateway.tracing.JobTraces.traceId(traceparent);
    }
}
