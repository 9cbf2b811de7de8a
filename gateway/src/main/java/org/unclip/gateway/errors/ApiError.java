package org.unclip.gateway.errors;

import java.util.Objects;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One error as the OpenAI API reports it, plus the HTTP status it travels with.
 *
 * <p>Rendered as {@code {"error":{"message","type","param","code"}}}; all four keys are always
 * present, {@code param} and {@code code} may be null.
 *
 * @param status HTTP status code
 * @param type {@link #INVALID_REQUEST} for client mistakes, {@link #RATE_LIMIT} for a 429 (come back
 *     later), {@link #SERVER_ERROR} otherwise
 * @param message what went wrong and, where it helps, what was expected
 * @param param the request field at fault, or null
 * @param code a machine-readable reason, or null
 */
public record ApiError(int status, String type, String message, String param, String code) {

    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String SERVER_ERROR = "server_error";
    /** The type OpenAI gives its request-rate 429s (with code {@link #RATE_LIMIT_EXCEEDED}). */
    public static final String RATE_LIMIT = "requests";
    public static final String RATE_LIMIT_EXCEEDED = "rate_limit_exceeded";

    public ApiError {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status must be 4xx or 5xx, got " + status);
        }
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
    }

    /** A 400 caused by the request itself. */
    public static ApiError invalidRequest(String message, String param, String code) {
        return new ApiError(400, INVALID_REQUEST, message, param, code);
    }

    /** A 404 for something that does not exist (or has expired). */
    public static ApiError notFound(String message) {
        return new ApiError(404, INVALID_REQUEST, message, null, null);
    }

    /** A 429: too much work waiting; the same request may succeed later. */
    public static ApiError rateLimited(String message) {
        return new ApiError(429, RATE_LIMIT, message, null, RATE_LIMIT_EXCEEDED);
    }

    /** A 5xx the client cannot fix by changing the request. */
    public static ApiError server(int status, String message, String code) {
        return new ApiError(status, SERVER_ERROR, message, null, code);
    }

    /** The JSON body: {@code {"error": {...}}}. */
    public Body body() {
        return new Body(new Detail(message, type, param, code));
    }

    /** The top-level error object. */
    @Schema(name = "ErrorResponse", description = "Every error: `{\"error\": {...}}`, with an `x-request-id` header.")
    public record Body(@Schema(required = true) Detail error) {}

    /** The inner error object; Jackson writes the nulls, as OpenAI does. */
    @Schema(name = "Error", description = "All four keys are always present; `param` and `code` may be null.")
    public record Detail(
            @Schema(required = true, description = "What went wrong and, where it helps, what was expected.") String message,
            @Schema(required = true, enumeration = {"invalid_request_error", "requests", "server_error"},
                    description = "`invalid_request_error` for client mistakes, `requests` for a 429 (as OpenAI's rate limits), "
                            + "`server_error` otherwise.")
                    String type,
            @Schema(required = true, nullable = true, description = "The request field at fault, e.g. `prompt` or `from.image`.")
                    String param,
            @Schema(required = true, nullable = true, description = "A machine-readable reason, e.g. `invalid_value`, `rate_limit_exceeded`.")
                    String code) {}
}
