package org.unclip.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.unclip.gateway.config.GatewayConfig;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.unclip.gateway.errors.ApiError;

/**
 * Optional bearer API keys ({@code unclip.api.keys}): when any are configured, every {@code /v1}
 * call must carry one of them, else it is answered 401 in OpenAI's error shape. Stored image URLs
 * ({@code /v1/images/results/...}) are exempt, as browsers fetch them without headers.
 */
@ApplicationScoped
class ApiKeys {

    private static final String BEARER = "Bearer ";

    private final List<byte[]> keys;

    ApiKeys(GatewayConfig config) {
        this.keys = config.api().keys().orElse(List.of()).stream()
                .map(String::trim)
                .filter(k -> !k.isEmpty())
                .map(k -> k.getBytes(StandardCharsets.UTF_8))
                .toList();
    }

    /** Null lets the request through; a response ends it. */
    @ServerRequestFilter(preMatching = true, priority = Priorities.AUTHENTICATION)
    Response check(ContainerRequestContext request) {
        String path = "/" + request.getUriInfo().getPath().replaceFirst("^/+", "");
        if (keys.isEmpty() || !path.startsWith("/v1/") || path.startsWith("/v1/images/results/")) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return unauthorized("You didn't provide an API key. Send it in an Authorization header"
                    + " using Bearer auth (Authorization: Bearer YOUR_KEY).", null);
        }
        byte[] given = header.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        boolean known = false;
        for (byte[] key : keys) {
            known |= MessageDigest.isEqual(key, given); // constant time, no early exit
        }
        return known ? null : unauthorized("Incorrect API key provided.", "invalid_api_key");
    }

    private static Response unauthorized(String message, String code) {
        return ErrorResponses.builder(new ApiError(401, ApiError.INVALID_REQUEST, message, null, code))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .build();
    }
}
