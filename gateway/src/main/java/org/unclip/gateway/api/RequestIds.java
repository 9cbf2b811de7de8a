package org.unclip.gateway.api;

import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Gives every HTTP exchange an {@code x-request-id}: the client's own when it sent a sensible one,
 * else a fresh {@code req_<32 hex>}. It is set on the request (so handlers can read it) and on
 * the response (every response, including 404s and health checks).
 */
@ApplicationScoped
public class RequestIds {

    public static final String HEADER = "x-request-id";

    private static final Pattern ACCEPTABLE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    void register(@Observes Filters filters) {
        filters.register(
                rc -> {
                    String id = rc.request().getHeader(HEADER);
                    if (id == null || !ACCEPTABLE.matcher(id).matches()) {
                        id = newId();
                        rc.request().headers().set(HEADER, id);
                    }
                    rc.response().putHeader(HEADER, id);
                    rc.next();
                },
                // Before everything else, so that even early failures carry the header.
                Integer.MAX_VALUE);
    }

    static String newId() {
        return "req_" + UUID.randomUUID().toString().replace("-", "");
    }
}
