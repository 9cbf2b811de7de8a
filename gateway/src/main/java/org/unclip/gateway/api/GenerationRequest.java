package org.unclip.gateway.api;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * A validated {@code POST /v1/images/generations} request.
 *
 * <p>Zero steps or a zero guidance scale mean "the model family's default"; the stages check the
 * ranges of the values they are given.
 *
 * @param prompt the prompt, stripped of surrounding white space
 * @param n number of images, 1..max
 * @param size output size
 * @param responseFormat how images come back
 * @param model accepted and echoed nowhere; one model family serves all requests
 * @param user accepted for compatibility, unused
 * @param seed seed of image 0, if the client chose one
 */
public record GenerationRequest(
        String prompt,
        int n,
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

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(responseFormat, "responseFormat");
        Objects.requireNonNull(seed, "seed");
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
    }
}
