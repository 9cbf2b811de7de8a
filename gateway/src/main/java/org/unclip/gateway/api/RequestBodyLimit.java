package org.unclip.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.unclip.gateway.errors.ApiError;

/**
 * Refuses request bodies over {@code quarkus.http.limits.max-body-size} with a 413 in the OpenAI
 * error shape (Quarkus's own answer is an empty 413).
 *
 * <p>A body that announces its length ({@code Content-Length}) is refused before it is read. A
 * body of unknown length (chunked) is read here, on the event loop, up to the limit, and handed
 * on as the routing context's body (which Quarkus REST reads instead of the request stream, for
 * JSON and multipart forms alike); one byte more and it is refused. Either way the connection is
 * closed after the answer (HTTP/1.x), once the client has sent the rest (read and dropped) or
 * after {@link #LINGER}: closing while it still sends could reset the connection under the answer.
 */
@ApplicationScoped
class RequestBodyLimit {

    static final String CODE = "request_too_large";

    /** Longest a refused request's connection stays open for the client to finish sending. */
    static final java.time.Duration LINGER = java.time.Duration.ofSeconds(5);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<HttpMethod> WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);

    private final long limit;

    RequestBodyLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") Optional<MemorySize> maxBodySize) {
        this.limit = maxBodySize.map(MemorySize::asLongValue).orElse(-1L);
    }

    void register(@Observes Filters filters) {
        if (limit >= 0) {
            // Right after RequestIds (Integer.MAX_VALUE), so the answer carries x-request-id, and
            // before Quarkus's own check of Content-Length.
            filters.register(this::check, Integer.MAX_VALUE - 1);
        }
    }

    private void check(RoutingContext context) {
        HttpServerRequest request = context.request();
        String declared = request.getHeader(HttpHeaderNames.CONTENT_LENGTH);
        if (declared != null) {
            if (parseLength(declared) > limit) {
                refuse(context);
            } else {
                context.next();
            }
            return;
        }
        if (!WITH_BODY.contains(request.method()) || request.isEnded()) {
            context.next();
            return;
        }
        readUpToLimit(context);
    }

    private static long parseLength(String header) {
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1; // Vert.x's HTTP codec refuses such a request anyway
        }
    }

    private void readUpToLimit(RoutingContext context) {
        HttpServerRequest request = context.request();
        Buffer body = Buffer.buffer();
        boolean[] refused = {false};
        request.handler(
                chunk -> {
                    if (refused[0]) {
                        return;
                    }
                    if ((long) body.length() + chunk.length() > limit) {
                        refused[0] = true;
                        refuse(context);
                        return;
                    }
                    body.appendBuffer(chunk);
                });
        request.endHandler(
                end -> {
                    if (!refused[0]) {
                        RoutingContextInternal internal = (RoutingContextInternal) context;
                        internal.visitHandler(RoutingContextInternal.BODY_HANDLER);
                        internal.setBody(body);
                        context.next();
                    }
                });
        request.resume();
    }

    private void refuse(RoutingContext context) {
        HttpServerRequest request = context.request();
        HttpServerResponse response = context.response();
        if (response.headWritten()) {
            request.connection().close();
            return;
        }
        ApiError error =
                new ApiError(
                        413,
                        ApiError.INVALID_REQUEST,
                        "The request body is too large: this server accepts at most " + limit + " bytes (" + describe(limit)
                                + ", quarkus.http.limits.max-body-size). Images must be PNGs of at most 4 MB each.",
                        null,
                        CODE);
        String json;
        try {
            json = JSON.writeValueAsString(error.body());
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        boolean http1 = request.version() != HttpVersion.HTTP_2;
        response.setStatusCode(413).putHeader(HttpHeaderNames.CONTENT_TYPE, "application/json");
        if (http1) {
            response.putHeader(HttpHeaderNames.CONNECTION, "close");
            closeAfterLinger(context);
        }
        response.end(json);
    }

    /**
     * Closes the connection once the answer is out and the client has stopped sending, or after
     * {@link #LINGER} at the latest. Closing while the client still sends would reset the
     * connection and could destroy the answer before the client reads it, so the rest of the body
     * is read and dropped meanwhile (never kept).
     */
    private static void closeAfterLinger(RoutingContext context) {
        HttpServerRequest request = context.request();
        HttpConnection connection = request.connection();
        boolean[] ended = {request.isEnded(), false}; // request body, response
        Runnable closeWhenBoth = () -> {
            if (ended[0] && ended[1]) {
                connection.close();
            }
        };
        // closing an already closed connection does nothing
        context.vertx().setTimer(LINGER.toMillis(), t -> connection.close());
        context.response().endHandler(done -> {
            ended[1] = true;
            closeWhenBoth.run();
        });
        if (!ended[0]) {
            request.handler(chunk -> {});
            request.endHandler(end -> {
                ended[0] = true;
                closeWhenBoth.run();
            });
            request.resume();
        }
    }

    /** 16777216 → "16 MiB". */
    static String describe(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
