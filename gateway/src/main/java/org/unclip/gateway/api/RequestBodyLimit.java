package org.unclip.gateway.api;

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
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;

/**
 * Refuses request bodies over their endpoint's limit with a 413 in the OpenAI error shape
 * (Quarkus's own answer is an empty 413): {@code unclip.api.max-image-body-size} for the endpoints
 * that take images ({@link #IMAGE_ENDPOINTS}), {@code unclip.api.max-body-size} for every other
 * one, each bounded by {@code quarkus.http.limits.max-body-size}.
 *
 * <p>A body that announces its length ({@code Content-Length}) is refused before it is read. A
 * body of unknown length (chunked) is read here, on the event loop, up to the limit, and handed
 * on as the routing context's body (which Quarkus REST reads instead of the request stream, for
 * JSON and multipart forms alike); one byte more and it is refused. Either way the connection is
 * closed after the answer (HTTP/1.x), once the client has sent the rest (read and dropped) or
 * after {@link #LINGER}: closing while it still sends could reset the connection under the answer.
 *
 * <p>An HTTP/2 body of unknown length is left to the endpoint: Quarkus REST pauses every request
 * it takes over, and Vert.x refuses to pause an HTTP/2 request whose body has been read. It is read
 * up to {@code quarkus.http.limits.max-body-size}, and the endpoint refuses it with the same 413
 * when it exceeds its own limit ({@link #requireWithin}).
 */
@ApplicationScoped
class RequestBodyLimit {

    static final String CODE = "request_too_large";

    /** Longest a refused request's connection stays open for the client to finish sending. */
    static final java.time.Duration LINGER = java.time.Duration.ofSeconds(5);

    /** Endpoints whose bodies may carry images; every other one gets the smaller limit. */
    static final Set<String> IMAGE_ENDPOINTS =
            Set.of("/v1/images/variations", "/v1/images/edits", "/v1/images/interpolations", "/v1/images/text_diffs", "/v1/jobs");

    private static final Set<HttpMethod> WITH_BODY = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH);

    private final Limit plain;
    private final Limit images;

    @Inject
    RequestBodyLimit(GatewayConfig config, @ConfigProperty(name = "quarkus.http.limits.max-body-size") Optional<MemorySize> outer) {
        this.plain = Limit.of(config.api().maxBodySize(), "unclip.api.max-body-size", false, outer);
        this.images = Limit.of(config.api().maxImageBodySize(), "unclip.api.max-image-body-size", true, outer);
    }

    /**
     * The largest body an endpoint takes: the smaller of its own limit and Quarkus's, and the
     * setting that makes it.
     *
     * @param images the endpoint takes images (its answer says how large they may be)
     */
    record Limit(long bytes, String setting, boolean images) {

        static Limit of(MemorySize own, String setting, boolean images, Optional<MemorySize> outer) {
            long bytes = own.asLongValue();
            if (outer.isPresent() && outer.get().asLongValue() < bytes) {
                return new Limit(outer.get().asLongValue(), "quarkus.http.limits.max-body-size", images);
            }
            return new Limit(bytes, setting, images);
        }

        /** "65536 bytes (64 KiB, unclip.api.max-body-size)". */
        String describe() {
            return bytes + " bytes (" + RequestBodyLimit.describe(bytes) + ", " + setting + ")";
        }

        ApiError error(String where) {
            return new ApiError(
                    413,
                    ApiError.INVALID_REQUEST,
                    "The request body is too large: " + where + " takes at most " + describe() + "."
                            + (images ? " Images must be PNGs of at most 4 MB each." : ""),
                    null,
                    CODE);
        }
    }

    /** The limit of the endpoint at {@code path}. */
    Limit limitOf(String path) {
        return IMAGE_ENDPOINTS.contains(canonical(path)) ? images : plain;
    }

    /** Collapses repeated slashes and drops a trailing one: {@code //v1/jobs/} is {@code /v1/jobs}. */
    static String canonical(String path) {
        if (path == null || path.isEmpty()) {
            return "/";
        }
        String collapsed = path.replaceAll("/{2,}", "/");
        return collapsed.length() > 1 && collapsed.endsWith("/") ? collapsed.substring(0, collapsed.length() - 1) : collapsed;
    }

    /**
     * Refuses a body the endpoint has read without this filter seeing its length first (HTTP/2
     * without {@code Content-Length}) when it exceeds the endpoint's limit.
     */
    void requireWithin(HttpServerRequest request, byte[] body) {
        Limit limit = limitOf(request.path());
        if (body != null && body.length > limit.bytes()) {
            throw new ApiException(limit.error(request.method() + " " + request.path()));
        }
    }

    void register(@Observes Filters filters) {
        // Right after RequestIds (Integer.MAX_VALUE) and CrossOrigin, so the answer carries
        // x-request-id and a refused origin's body is not read; before Quarkus's own check of
        // Content-Length.
        filters.register(this::check, Integer.MAX_VALUE - 2);
    }

    private void check(RoutingContext context) {
        HttpServerRequest request = context.request();
        Limit limit = limitOf(context.normalizedPath());
        String declared = request.getHeader(HttpHeaderNames.CONTENT_LENGTH);
        if (declared != null) {
            if (parseLength(declared) > limit.bytes()) {
                refuse(context, limit);
            } else {
                context.next();
            }
            return;
        }
        if (!WITH_BODY.contains(request.method()) || request.isEnded() || request.version() == HttpVersion.HTTP_2) {
            context.next();
            return;
        }
        readUpToLimit(context, limit);
    }

    private static long parseLength(String header) {
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1; // Vert.x's HTTP codec refuses such a request anyway
        }
    }

    private void readUpToLimit(RoutingContext context, Limit limit) {
        HttpServerRequest request = context.request();
        Buffer body = Buffer.buffer();
        boolean[] refused = {false};
        request.handler(
                chunk -> {
                    if (refused[0]) {
                        return;
                    }
                    if ((long) body.length() + chunk.length() > limit.bytes()) {
                        refused[0] = true;
                        refuse(context, limit);
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

    private void refuse(RoutingContext context, Limit limit) {
        HttpServerRequest request = context.request();
        HttpServerResponse response = context.response();
        if (response.headWritten()) {
            request.connection().close();
            return;
        }
        String json = ErrorResponses.json(limit.error(request.method() + " " + request.path()));
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
