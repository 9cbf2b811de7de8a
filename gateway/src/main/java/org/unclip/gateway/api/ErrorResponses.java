package org.unclip.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;

/** Builds HTTP responses in the OpenAI error shape. */
final class ErrorResponses {

    /** Tells OpenAI SDKs whether to retry, overriding their status-code rules. */
    static final String SHOULD_RETRY = "x-should-retry";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorResponses() {}

    /** The error's JSON body, for filters that answer below Quarkus REST (Vert.x route filters). */
    static String json(ApiError error) {
        try {
            return JSON.writeValueAsString(error.body());
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Response of(ApiError error) {
        return builder(error).build();
    }

    static Response of(ApiException e) {
        Response.ResponseBuilder builder = builder(e.error());
        e.shouldRetry().ifPresent(retry -> builder.header(SHOULD_RETRY, retry.toString()));
        e.headers().forEach(builder::header);
        return builder.build();
    }

    static Response.ResponseBuilder builder(ApiError error) {
        return Response.status(error.status()).type(MediaType.APPLICATION_JSON_TYPE).entity(error.body());
    }
}
