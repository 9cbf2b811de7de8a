package org.unclip.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.jobs.JobStatus;

/** {@code GET /v1/images/jobs/{job}}: where a job stands. Times are Unix seconds. */
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
    ApiError.Detail error) {

  static JobView of(JobStatus status) {
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
        status.error().map(e -> e.body().error()).orElse(null));
  }
}
