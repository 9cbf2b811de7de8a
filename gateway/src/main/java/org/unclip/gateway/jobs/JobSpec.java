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
 * @param kind {@link #GENERATION} (also when absent, for specs stored before kinds existed),
 *     {@link #VARIATION} (the input image lives under {@link JobKeys#input}; no prompt, no prior),
 *     {@link #INTERPOLATION} or {@link #TEXT_DIFF} (embedding arithmetic, see {@code manipulation})
 * @param preset the step preset the request named ({@code fast} or {@code quality}); null for the
 *     family's default
 * @param manipulation what an interpolation or text-diff job computes (then {@code seeds} holds the
 *     one decoder seed once per frame); null for the other kinds
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
// Fields added by a newer gateway are ignored, so a rolling upgrade does not strand queued jobs.
@com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
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
        String preset,
        Manipulation manipulation) {

    /** A text-to-image job. */
    public static final String GENERATION = "generation";
    /** A variation of an input image: image encoder, then decoder; no prompt, no prior. */
    public static final String VARIATION = "variation";
    /** Frames between two image embeddings (prompts through the prior, or images), one seed. */
    public static final String INTERPOLATION = "interpolation";
    /** Frames turning an image embedding towards the difference of two captions, one seed. */
    public static final String TEXT_DIFF = "text_diff";

    /** A text-to-image spec without decoder previews, at the family's default preset. */
    public static JobSpec generation(String requestId, String prompt, int size, List<Long> seeds) {
        return new JobSpec(requestId, prompt, size, seeds, 0, 0, 0, 0f, 0f, false, GENERATION, null, null);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public JobSpec {
        Objects.requireNonNull(prompt, "prompt");
        seeds = List.copyOf(seeds);
        kind = kind == null ? GENERATION : kind;
        switch (kind) {
            case GENERATION:
            case VARIATION:
                if (manipulation != null) {
                    throw new IllegalArgumentException("a " + kind + " job has no manipulation");
                }
                break;
            case INTERPOLATION:
            case TEXT_DIFF:
                if (manipulation == null || !manipulation.kind().equals(kind)) {
                    throw new IllegalArgumentException("a " + kind + " job needs a " + kind + " manipulation");
                }
                if (manipulation.thetas().size() != seeds.size()) {
                    throw new IllegalArgumentException(
                            "a " + kind + " job needs one seed per frame: " + seeds.size() + " seeds, "
                                    + manipulation.thetas().size() + " frames");
                }
                break;
            default:
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

    /** The input images a worker must read: 1 for a variation, 0 to 2 for a manipulation. */
    public int inputImages() {
        if (variation()) {
            return 1;
        }
        return manipulation == null ? 0 : manipulation.inputImages();
    }

    public int n() {
        return seeds.size();
    }
}
