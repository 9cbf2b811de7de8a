package org.unclip.gateway.jobs;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import java.util.Objects;

/**
 * What a worker needs to run a job; stored as JSON in the {@code spec} field of the job hash.
 *
 * @param requestId the HTTP request that created the job, passed on to the stages
 * @param prompt the prompt, shared by all images
 * @param size output side in pixels
 * @param seeds one per image; the number of images is {@code seeds.size()}
 * @param previews ask the decoder for x0 previews (sent as throttled {@code preview} events)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobSpec(
        String requestId,
        String prompt,
        int size,
        List<Long> seeds,
        int priorSteps,
        int decoderSteps,
        int upsamplerSteps,
        float priorGuidanceScale,
        float decoderGuidanceScale,
        boolean previews) {

    /** A spec without decoder previews. */
    public JobSpec(
            String requestId,
            String prompt,
            int size,
            List<Long> seeds,
            int priorSteps,
            int decoderSteps,
            int upsamplerSteps,
            float priorGuidanceScale,
            float decoderGuidanceScale) {
        this(requestId, prompt, size, seeds, priorSteps, decoderSteps, upsamplerSteps, priorGuidanceScale, decoderGuidanceScale, false);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public JobSpec {
        Objects.requireNonNull(prompt, "prompt");
        seeds = List.copyOf(seeds);
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("a job needs at least one seed");
        }
    }

    public int n() {
        return seeds.size();
    }
}
