package org.unclip.gateway.api;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * A validated {@code POST /v1/images/variations} request.
 *
 * <p>Zero steps or a zero guidance scale mean "the model family's default".
 *
 * @param png the input image: a square PNG of at most {@link VariationRequestParser#MAX_IMAGE_BYTES}
 * @param side its width (= height) in pixels
 * @param n number of variations, 1..max
 * @param size output size
 * @param responseFormat how images come back
 * @param model accepted; one model family serves all requests
 * @param user accepted for compatibility, unused
 * @param seed seed of image 0, if the client chose one
 */
public record VariationRequest(
        byte[] png,
        int side,
        int n,
        ImageSize size,
        ResponseFormat responseFormat,
        String model,
        String user,
        OptionalLong seed,
        int decoderSteps,
        int upsamplerSteps,
        float decoderGuidanceScale) {

    public VariationRequest {
        Objects.requireNonNull(png, "png");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(responseFormat, "responseFormat");
        Objects.requireNonNull(seed, "seed");
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
    }
}
