package org.unclip.gateway.api;

import java.util.Set;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;

/**
 * The model names a request may give: OpenAI's {@code dall-e-2} (what its SDKs send for this API)
 * and {@code unclip}; no name means the served family. Any other name is OpenAI's 404 {@code
 * model_not_found}, so a client that asks for a model this mesh does not serve is told so.
 */
final class Models {

    static final Set<String> SERVED = Set.of("dall-e-2", "unclip");

    private Models() {}

    /** Returns {@code model} when it may be served (or is absent); throws the 404 otherwise. */
    static String check(String model) {
        if (model == null || SERVED.contains(model)) {
            return model;
        }
        String shown = model.length() > 64 ? model.substring(0, 64) + "…" : model;
        throw new ApiException(
                new ApiError(
                        404,
                        ApiError.INVALID_REQUEST,
                        "The model '" + shown + "' does not exist or you do not have access to it. This server serves: dall-e-2, unclip.",
                        "model",
                        "model_not_found"));
    }
}
