package org.unclip.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.jobs.JobStatus;

/**
 * {@code GET /v1/images/jobs/{job}}: where a job stands, and its images once it has succeeded
 * (useful after a request gave up waiting). Times are Unix seconds.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobView(
        String id,
        String object,
        String state,
        String stage,
        int step,
        @JsonProperty("total_steps") int totalSteps,
        int attempts,
        @JsonProperty("created_at") long createdAt,
        @JsonProperty("updated_at") long updatedAt,
        @JsonProperty("queue_position") Long queuePosition,
        List<Long> seeds,
        List<ImagesResponse.Image> data,
        ApiError.Detail error) {

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
                status.error().map(e -> e.body().error()).orElse(null));
    }
}
