package org.unclip.gateway.api;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.errors.ApiError;

/**
 * Refuses {@code /v1} requests from pages of other origins: a request whose {@code Origin} header
 * names neither the gateway's own origin nor one that CORS allows gets a 403 {@code
 * cross_origin_refused}, before its body is read.
 *
 * <p>Browsers send a multipart form or a {@code text/plain} POST to another site without asking
 * first (no preflight), so without this a page anywhere could queue jobs on a gateway on loopback
 * or on the visitor's network, even though it could not read the answer. They always send {@code
 * Origin} with such a request; clients that are not browsers (the SDKs, curl) send none and are
 * not affected.
 *
 * <p>Allowed: the gateway's own origin (the scheme and {@code Host} of the request, which is how
 * its web page calls it), the origin of {@code unclip.api.public-base-url}, and, only when CORS is
 * on ({@code quarkus.http.cors.enabled}), the origins of {@code quarkus.http.cors.origins} (exact,
 * {@code /regex/}, or {@code *} for any), for which Quarkus answers preflights and adds the CORS
 * headers. CORS is off by default.
 */
@ApplicationScoped
class CrossOrigin {

    static final String CODE = "cross_origin_refused";

    private final Set<String> allowed = new HashSet<>();
    private final List<Pattern> patterns = new ArrayList<>();
    private final boolean any;

    @Inject
    CrossOrigin(
            GatewayConfig config,
            @ConfigProperty(name = "quarkus.http.cors.enabled", defaultValue = "false") boolean corsEnabled,
            @ConfigProperty(name = "quarkus.http.cors.origins") Optional<List<String>> corsOrigins) {
        config.api().publicBaseUrl().flatMap(CrossOrigin::canonical).ifPresent(allowed::add);
        boolean wildcard = false;
        if (corsEnabled) {
            for (String origin : corsOrigins.orElse(List.of())) {
                String trimmed = origin.strip();
                if (trimmed.equals("*") || trimmed.equals("/.*/")) {
                    wildcard = true;
                } else if (trimmed.length() > 1 && trimmed.startsWith("/") && trimmed.endsWith("/")) {
                    patterns.add(Pattern.compile(trimmed.substring(1, trimmed.length() - 1)));
                } else {
                    canonical(trimmed).ifPresent(allowed::add);
                }
            }
        }
        this.any = wildcard;
    }

    void register(@Observes Filters filters) {
        // Right after RequestIds (Integer.MAX_VALUE), so the answer carries x-request-id; before
        // RequestBodyLimit, so a refused request's body is not read, and before Quarkus's CORS filter.
        filters.register(this::check, Integer.MAX_VALUE - 1);
    }

    private void check(RoutingContext context) {
        String origin = context.request().getHeader(HttpHeaderNames.ORIGIN);
        if (origin == null || !isApi(context.normalizedPath()) || allows(origin, context.request())) {
            context.next();
            return;
        }
        String shown = origin.length() > 200 ? origin.substring(0, 200) + "..." : origin;
        ApiError error =
                new ApiError(
                        403,
                        ApiError.INVALID_REQUEST,
                        "Cross-origin requests are refused: a page at '" + shown + "' may not call this API. Call it from the "
                                + "gateway's own origin, or allow the page's origin with quarkus.http.cors.enabled=true and "
                                + "quarkus.http.cors.origins.",
                        null,
                        CODE);
        context.response()
                .setStatusCode(403)
                .putHeader(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .end(ErrorResponses.json(error));
    }

    private static boolean isApi(String path) {
        return path != null && (path.equals("/v1") || path.startsWith("/v1/"));
    }

    boolean allows(String origin, HttpServerRequest request) {
        Optional<String> canonical = canonical(origin);
        if (canonical.isEmpty()) {
            return false; // "null" (sandboxed frames, files) and anything unreadable
        }
        if (canonical.get().equals(ownOrigin(request)) || allowed.contains(canonical.get()) || any) {
            return true;
        }
        for (Pattern pattern : patterns) {
            if (pattern.matcher(origin).matches()) {
                return true;
            }
        }
        return false;
    }

    /** The origin a page served by this gateway has: the request's scheme and Host. */
    private static String ownOrigin(HttpServerRequest request) {
        HostAndPort authority = request.authority();
        if (authority == null) {
            return null;
        }
        String host = authority.host();
        return canonical(request.scheme() + "://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host)
                        + (authority.port() > 0 ? ":" + authority.port() : ""))
                .orElse(null);
    }

    /** {@code scheme://host[:port]} in lower case without the scheme's default port; empty if it is not an origin. */
    static Optional<String> canonical(String origin) {
        try {
            URI uri = new URI(origin.strip());
            String scheme = uri.getScheme();
            String host = uri.getHost();
            if (scheme == null || host == null) {
                return Optional.empty();
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            int port = uri.getPort();
            if (port == defaultPort(scheme)) {
                port = -1;
            }
            return Optional.of(scheme + "://" + host.toLowerCase(Locale.ROOT) + (port < 0 ? "" : ":" + port));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    private static int defaultPort(String scheme) {
        switch (scheme) {
            case "http":
                return 80;
            case "https":
                return 443;
            default:
                return -2;
        }
    }
}
