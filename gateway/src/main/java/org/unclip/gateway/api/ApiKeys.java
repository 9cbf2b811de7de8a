package org.unclip.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.unclip.gateway.config.GatewayConfig;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.unclip.gateway.errors.ApiError;

/**
 * Optional bearer API keys ({@code unclip.api.keys}): when any are configured, every {@code /v1}
 * call must carry one of them, else it is answered 401 in OpenAI's error shape. Stored image URLs
 * ({@code /v1/images/results/...}) are exempt, as browsers fetch them without headers. A job
 * belongs to the key that made it ({@link #owner}, see {@link JobOwners}).
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

    /** True when keys are configured: every {@code /v1} call needs one, and jobs have owners. */
    boolean required() {
        return !keys.isEmpty();
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
        return key(header).isPresent() ? null : unauthorized("Incorrect API key provided.", "invalid_api_key");
    }

    /**
     * Who owns the jobs a request makes: a hash of the configured key that its {@code
     * Authorization} header carries (never the key itself); empty without keys configured, or
     * when the header carries none of them.
     */
    Optional<String> owner(String authorization) {
        return key(authorization).map(ApiKeys::ownerOf);
    }

    /** The configured key the header carries as a bearer token, compared in constant time. */
    private Optional<byte[]> key(String header) {
        if (keys.isEmpty() || header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        byte[] given = header.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        byte[] known = null;
        for (byte[] key : keys) {
            if (MessageDigest.isEqual(key, given)) { // constant time, no early exit
                known = key;
            }
        }
        return Optional.ofNullable(known);
    }

    /** Hex SHA-256 of the key, apart from any other use of such a hash. */
    static String ownerOf(byte[] key) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update("unclip job owner\n".getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest(key));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Response unauthorized(String message, String code) {
        return ErrorResponses.builder(new ApiError(401, ApiError.INVALID_REQUEST, message, null, code))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .build();
    }
}
