package org.unclip.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.jobs.JobStatus;

/**
 * {@code GET /v1/images/jobs/{job}}: where a job stands, and its images once it has succeeded
 * (useful after a request gave up waiting). Times are Unix seconds.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Job", description = "Where a job stands, and its images once it has succeeded. Times are Unix seconds.")
public record JobView(
        @Schema(required = true, description = "32 lower-case hex digits.") String id,
        @Schema(required = true, enumeration = "image.generation.job") String object,
        @Schema(required = true, enumeration = {"queued", "running", "succeeded", "failed", "cancelled"}) String state,
        @Schema(description = "The running stage: `text-encoder`, `image-encoder`, `prior`, `decoder`, `upsampler-1`, ...") String stage,
        @Schema(description = "Steps of the stage done so far.") int step,
        @Schema(description = "Steps of the stage; 0 when unknown.") @JsonProperty("total_steps") int totalSteps,
        @Schema(description = "How often a worker started the job.") int attempts,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("updated_at") long updatedAt,
        @Schema(description = "Jobs ahead of this one while it is queued (0 = next).") @JsonProperty("queue_position") Long queuePosition,
        @Schema(description = "One seed per image (for interpolations and text diffs the one seed, once per frame).") List<Long> seeds,
        @Schema(description = "URLs, seeds (and θs of frames) of the images once the job succeeded, until they expire.")
                List<ImagesResponse.Image> data,
        @Schema(description = "Why the job failed.") ApiError.Detail error,
        @Schema(description = "The OpenTelemetry trace of the job (32 hex digits): the request that made it, the job's "
                + "run and each of its stage calls.") @JsonProperty("trace_id") String traceId) {

    /**
     * @param data URLs and seeds of the images once the job has succeeded (and until they expire),
     *     else null
     */
    static JobView of(JobStatus status, List<ImagesResponse.Image> data) {
        return of(status, data, null, null);
    }

    /**
     * @param seeds the images' seeds, or null
     * @param queuePosition jobs ahead of this one while it is queued (0 = next), else null
     */
    static JobView of(JobStatus status, List<ImagesResponse.Image> data, List<Long> seeds, Long queuePosition) {
        return new JobView(
                status.id(),
                "image.generation.job",
                status.state().wireName(),
                status.stage().isEmpty() ? null : status.stage(),
                status.step(),
                status.totalSteps(),
                status.attempts(),
                status.createdAt().getEpochSecond(),
                status.updatedAt().getEpochSecond(),
                queuePosition,
                seeds,
                data,
                status.error().map(e -> e.body().error()).orElse(null),
                status.traceId().isEmpty() ? null : status.traceId());
    }
}
