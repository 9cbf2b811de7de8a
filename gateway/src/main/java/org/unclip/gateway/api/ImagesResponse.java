package org.unclip.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The OpenAI images response: {@code {"created": <unix seconds>, "data": [...]}}.
 *
 * @param created when the job was created, in Unix seconds
 */
public record ImagesResponse(long created, List<Image> data) {

    public ImagesResponse {
        data = List.copyOf(data);
    }

    /**
     * One image: exactly one of {@code b64_json} and {@code url}, plus the seed that reproduces it
     * and, for a frame of an interpolation or text diff, its {@code theta} (extensions of the
     * OpenAI shape).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Image(@JsonProperty("b64_json") String b64Json, String url, long seed, Double theta) {

        /** An image that is not a frame (no θ). */
        public Image(String b64Json, String url, long seed) {
            this(b64Json, url, seed, null);
        }
    }

    /** The θ of image {@code i}, or null when {@code thetas} is null (not a manipulation) or short. */
    static Double theta(List<Double> thetas, int i) {
        return thetas == null || i >= thetas.size() ? null : thetas.get(i);
    }
}
