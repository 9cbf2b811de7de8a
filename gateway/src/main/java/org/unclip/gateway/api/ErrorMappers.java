package org.unclip.gateway.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.lettuce.core.RedisException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;
import org.unclip.gateway.jobs.JobStoreException;

/**
 * Renders every failure in the OpenAI error shape, so that no client mistake ever shows up as a
 * 500 or a stack trace. Client mistakes are {@code invalid_request_error}; everything else is a
 * {@code server_error} whose details go to the log, tagged with the request id.
 */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException e) {
        return ErrorResponses.of(e);
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, HttpServerRequest request) {
        Response original = e.getResponse();
        int status = original == null ? 500 : original.getStatus();
        if (status < 400) {
            return original;
        }
        String where = request.method() + " " + request.path();
        ApiError error;
        switch (status) {
            case 404:
                error = ApiError.notFound("Invalid URL (" + where + ")");
                break;
            case 405:
                String allowed = original.getHeaderString("Allow");
                error =
                        new ApiError(
                                405,
                                ApiError.INVALID_REQUEST,
                                "Method not allowed (" + where + ")" + (allowed == null ? "" : "; allowed: " + allowed),
                                null,
                                "method_not_allowed");
                break;
            case 406:
                error = new ApiError(406, ApiError.INVALID_REQUEST, "Not acceptable (" + where + "): see the endpoint's documented response types.", null, null);
                break;
            case 413:
                // The form parser's limits (a text field over quarkus.http.limits.max-form-attribute-size);
                // bodies over their endpoint's limit are refused earlier by RequestBodyLimit.
                error = new ApiError(413, ApiError.INVALID_REQUEST,
                        "The request is too large (" + where + "): a form field or the body exceeds this server's limits.",
                        null, RequestBodyLimit.CODE);
                break;
            case 415:
                String expected = request.path().endsWith("/images/variations")
                        ? "send the form as 'Content-Type: multipart/form-data'."
                        : "send JSON with 'Content-Type: application/json'.";
                error = ApiError.invalidRequest("Unsupported Content-Type for " + where + ": " + expected, null, "unsupported_content_type");
                break;
            default:
                if (status >= 500) {
                    LOG.errorf(e, "request %s: %s failed", requestId(request), where);
                    error = ApiError.server(status, "The server had an error while processing your request.", null);
                } else {
                    error = new ApiError(status, ApiError.INVALID_REQUEST, message(e, where), null, null);
                }
        }
        Response.ResponseBuilder builder = ErrorResponses.builder(error);
        if (original != null && original.getHeaderString("Allow") != null) {
            builder.header("Allow", original.getHeaderString("Allow"));
        }
        return builder.build();
    }

    /** Bodies that reach Jackson data binding (none of the images endpoints do, but be safe). */
    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        String param = null;
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            param = mapping.getPath().get(0).getFieldName();
        }
        return ErrorResponses.of(
                ApiError.invalidRequest(
                        "We could not parse the JSON body of your request: " + GenerationRequestParser.describe(e),
                        param,
                        "invalid_json"));
    }

    @ServerExceptionMapper
    public Response redis(RedisException e, HttpServerRequest request) {
        LOG.warnf("request %s: Redis failure: %s", requestId(request), e.getMessage());
        return ErrorResponses.of(ApiError.server(503, "The job queue is unavailable; try again shortly.", "queue_unavailable"));
    }

    @ServerExceptionMapper
    public Response jobStore(JobStoreException e, HttpServerRequest request) {
        LOG.warnf("request %s: job store failure: %s", requestId(request), e.getMessage());
        return ErrorResponses.of(ApiError.server(503, "The job queue is unavailable; try again shortly.", "queue_unavailable"));
    }

    @ServerExceptionMapper
    public Response anything(Throwable e, HttpServerRequest request) {
        String id = requestId(request);
        if (MultipartBodies.isMalformed(e)) {
            LOG.debugf("request %s: malformed multipart body of %s %s: %s", id, request.method(), request.path(), e);
            return ErrorResponses.of(MultipartBodies.malformed());
        }
        LOG.errorf(e, "request %s: unexpected failure of %s %s", id, request.method(), request.path());
        return ErrorResponses.of(
                ApiError.server(
                        500,
                        "The server had an error while processing your request. Quote request id " + id + " when reporting it.",
                        null));
    }

    private static String requestId(HttpServerRequest request) {
        return request == null ? "?" : request.getHeader(RequestIds.HEADER);
    }

    private static String message(WebApplicationException e, String where) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? "The request could not be handled (" + where + ")." : message;
    }
}
