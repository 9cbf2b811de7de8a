package org.unclip.gateway.api;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import org.unclip.gateway.jobs.Manipulation;

/**
 * A validated {@code POST /v1/images/interpolations} or {@code POST /v1/images/text_diffs}
 * request.
 *
 * <p>Zero steps or a zero guidance scale mean "the model family's default".
 *
 * @param manipulation the frames to make; its image endpoints index {@code images}
 * @param images the input PNGs (square, at most {@link VariationRequestParser#MAX_IMAGE_BYTES} each)
 * @param seed the one seed of every frame (prior and decoder), if the client chose one
 */
public record ManipulationRequest(
        Manipulation manipulation,
        List<byte[]> images,
        ImageSize size,
        ResponseFormat responseFormat,
        String model,
        String user,
        OptionalLong seed,
        int priorSteps,
        int decoderSteps,
        int upsamplerSteps,
        float priorGuidanceScale,
        float decoderGuidanceScale,
        String preset) {

    public ManipulationRequest {
        Objects.requireNonNull(manipulation, "manipulation");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(responseFormat, "responseFormat");
        Objects.requireNonNull(seed, "seed");
        images = List.copyOf(images);
        if (images.size() != manipulation.inputImages()) {
            throw new IllegalArgumentException(
                    "the manipulation reads " + manipulation.inputImages() + " images, " + images.size() + " given");
        }
    }

    /** Number of frames (= images made). */
    public int frames() {
        return manipulation.thetas().size();
    }
}
