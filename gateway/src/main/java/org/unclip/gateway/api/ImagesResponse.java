package org.unclip.gateway.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The OpenAI images response: {@code {"created": <unix seconds>, "data": [...]}}.
 *
 * @param created when the job was created, in Unix seconds
 */
@Schema(name = "ImagesResponse", description = "The OpenAI images response.")
public record ImagesResponse(
        @Schema(required = true, description = "When the job was created, in Unix seconds.") long created,
        @Schema(required = true, description = "The images, in order.") List<Image> data) {

    public ImagesResponse {
        data = List.copyOf(data);
    }

    /**
     * One image: exactly one of {@code b64_json} and {@code url}, plus the seed that reproduces it
     * and, for a frame of an interpolation or text diff, its {@code theta} (extensions of the
     * OpenAI shape).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "Image", description = "One image: `b64_json` or `url` (as the request's `response_format` says), its seed, and θ for frames.")
    public record Image(
            @Schema(description = "The PNG, base64-encoded (response_format b64_json).") @JsonProperty("b64_json") String b64Json,
            @Schema(description = "Where to GET the PNG until it expires (response_format url).") String url,
            @Schema(required = true, description = "The seed that reproduces the image (send it back with n = 1).") long seed,
            @Schema(description = "The frame's θ (interpolations: 0 to 1; text diffs: 0 to max_theta); absent for other images.")
                    Double theta) {

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
