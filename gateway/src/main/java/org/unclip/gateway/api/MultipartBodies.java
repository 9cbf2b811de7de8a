package org.unclip.gateway.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.UnsupportedEncodingException;
import java.util.Locale;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.unclip.gateway.errors.ApiError;

/**
 * Malformed multipart/form-data bodies are the client's mistake: a 400 {@code invalid_multipart},
 * never the 500 that the form parser's own failures would become.
 *
 * <p>A {@code multipart/form-data} Content-Type without a usable {@code boundary} is refused here,
 * before anything reads the body. A body that does not follow its boundary (truncated, no closing
 * delimiter, broken part headers, a part's unreadable media type or unknown charset, too many parts)
 * makes the form parser throw before the endpoint runs; {@link #isMalformed} recognises those
 * failures for {@link ErrorMappers}.
 */
@ApplicationScoped
class MultipartBodies {

    static final String CODE = "invalid_multipart";

    /** Quarkus REST's form parser: a failure raised there (see {@link #isMalformed}) is about the body. */
    private static final String PARSER_PACKAGE = "org.jboss.resteasy.reactive.server.core.multipart.";

    /** Its parsing of part headers (names, file names, media types, charsets). */
    private static final String HEADER_PARSING = "org.jboss.resteasy.reactive.common.headers.";

    /** Null lets the request through; a response ends it. */
    @ServerRequestFilter(preMatching = true, priority = Priorities.HEADER_DECORATOR)
    Response check(ContainerRequestContext request) {
        String contentType = request.getHeaderString(HttpHeaders.CONTENT_TYPE);
        if (contentType == null || !isFormData(contentType) || boundary(contentType) != null) {
            return null;
        }
        return ErrorResponses.of(
                ApiError.invalidRequest(
                        "The multipart/form-data body has no boundary: send 'Content-Type: multipart/form-data; boundary=...' "
                                + "with the boundary that separates the parts of the body.",
                        null,
                        CODE));
    }

    /** The 400 for a body the form parser could not read. */
    static ApiError malformed() {
        return ApiError.invalidRequest(
                "The multipart/form-data body could not be read: it is truncated, does not follow the boundary of its "
                        + "Content-Type (each part needs its headers, a blank line and its content, and the body ends with "
                        + "the closing boundary), has a part header that cannot be read, or has too many parts.",
                null,
                CODE);
    }

    /**
     * True when the form parser failed on the body itself: the failure was raised while parsing
     * the form, in the parser or in the header parsing it uses (directly below any JDK frames),
     * and wraps no cause but an unknown charset that a part names. Any other cause is a failure
     * of the server's own (the parser writes uploads to disk).
     */
    static boolean isMalformed(Throwable e) {
        if (e.getCause() != null && !(e.getCause() instanceof UnsupportedEncodingException)) {
            return false;
        }
        boolean raisedByParser = false;
        boolean firstOfOurs = true;
        for (StackTraceElement frame : e.getStackTrace()) {
            String name = frame.getClassName();
            if (name.startsWith("java.") || name.startsWith("jdk.") || name.startsWith("sun.") || name.startsWith("jakarta.")) {
                continue;
            }
            if (firstOfOurs) {
                raisedByParser = name.startsWith(PARSER_PACKAGE) || name.startsWith(HEADER_PARSING);
                firstOfOurs = false;
            }
            if (raisedByParser && name.startsWith(PARSER_PACKAGE)) {
                return true; // and it happened while the form was parsed
            }
        }
        return false;
    }

    static boolean isFormData(String contentType) {
        return contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals("multipart/form-data");
    }

    /** The {@code boundary} parameter, unquoted; null when it is missing or empty. */
    static String boundary(String contentType) {
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].strip();
            int equals = parameter.indexOf('=');
            if (equals < 0 || !parameter.substring(0, equals).strip().equalsIgnoreCase("boundary")) {
                continue;
            }
            String value = parameter.substring(equals + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            return value.isEmpty() || value.equals("\"") ? null : value;
        }
        return null;
    }
}
