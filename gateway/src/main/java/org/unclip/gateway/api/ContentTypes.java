package org.unclip.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.unclip.gateway.errors.ApiError;

/**
 * A {@code Content-Type} header that is no media type at all ({@code /}, {@code ;;x}) is a 400
 * {@code unsupported_content_type}, before Quarkus REST fails to parse it while choosing the
 * endpoint (which would be a 500).
 */
@ApplicationScoped
class ContentTypes {

    /** Null lets the request through; a response ends it. */
    @ServerRequestFilter(preMatching = true, priority = Priorities.HEADER_DECORATOR - 1)
    Response check(ContainerRequestContext request) {
        String contentType = request.getHeaderString(HttpHeaders.CONTENT_TYPE);
        if (contentType == null || readable(contentType)) {
            return null;
        }
        return ErrorResponses.of(
                ApiError.invalidRequest(
                        "The Content-Type header is not a media type: send 'Content-Type: application/json' (or "
                                + "'multipart/form-data; boundary=...' for an image form).",
                        null,
                        "unsupported_content_type"));
    }

    static boolean readable(String contentType) {
        try {
            MediaType.valueOf(contentType);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
