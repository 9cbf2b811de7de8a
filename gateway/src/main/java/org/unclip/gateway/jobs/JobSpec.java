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
 * @param kind {@link #GENERATION} (also when absent, for specs stored before kinds existed) or
 *     {@link #VARIATION} (the input image lives under {@link JobKeys#input}; no prompt, no prior)
 * @param preset the step preset the request named ({@code fast} or {@code quality}); null for the
 *     family's default
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
        boolean previews,
        String kind,
        String preset) {

    /** A text-to-image job. */
    public static final String GENERATION = "generation";
    /** A variation of an input image: image encoder, then decoder; no prompt, no prior. */
    public static final String VARIATION = "variation";

    /** A text-to-image spec without decoder previews, at the family's default preset. */
    public static JobSpec generation(String requestId, String prompt, int size, List<Long> seeds) {
        return new JobSpec(requestId, prompt, size, seeds, 0, 0, 0, 0f, 0f, false, GENERATION, null);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public JobSpec {
        Objects.requireNonNull(prompt, "prompt");
        seeds = List.copyOf(seeds);
        kind = kind == null ? GENERATION : kind;
        if (!kind.equals(GENERATION) && !kind.equals(VARIATION)) {
            throw new IllegalArgumentException("unknown job kind '" + kind + "'");
        }
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("a job needs at least one seed");
        }
    }

    /** True for a variation job. */
    public boolean variation() {
        return VARIATION.equals(kind);
    }

    public int n() {
        return seeds.size();
    }
}
