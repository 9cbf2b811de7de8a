package org.unclip.gateway.errors;

import java.util.Objects;
import java.util.Optional;

/** Carries an {@link ApiError} to the HTTP layer, which renders it in the OpenAI error shape. */
public class ApiException extends RuntimeException {

    private final transient ApiError error;
    private final Boolean shouldRetry;
    private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();

    public ApiException(ApiError error) {
        this(error, null, null);
    }

    /**
     * @param shouldRetry sent as {@code x-should-retry} so that OpenAI SDKs do (or do not) retry;
     *     null leaves the decision to the client's status-code rules
     */
    public ApiException(ApiError error, Boolean shouldRetry, Throwable cause) {
        super(Objects.requireNonNull(error, "error").message(), cause);
        this.error = error;
        this.shouldRetry = shouldRetry;
    }

    /**
     * A 429 in OpenAI's rate-limit shape with {@code Retry-After} (whole seconds, at least 1), so
     * that clients come back later.
     *
     * @param message the message, given the seconds to wait
     */
    public static ApiException retryLater(java.time.Duration retryAfter, java.util.function.LongFunction<String> message) {
        long seconds = Math.max(1, retryAfter.toSeconds());
        return new ApiException(ApiError.rateLimited(message.apply(seconds)), null, null)
                .withHeader("Retry-After", Long.toString(seconds));
    }

    public ApiError error() {
        return error;
    }

    /** Adds a header to the error response (e.g. {@code Retry-After}). */
    public ApiException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public java.util.Map<String, String> headers() {
        return java.util.Collections.unmodifiableMap(headers);
    }

    public Optional<Boolean> shouldRetry() {
        return Optional.ofNullable(shouldRetry);
    }
}
