package org.unclip.gateway.stages;

import io.grpc.Status;
import java.util.Locale;
import org.jboss.logging.Logger;
import org.unclip.gateway.errors.ApiError;

/**
 * How a failed stage call is reported to the HTTP client.
 *
 * <table>
 *   <tr><th>gRPC status</th><th>HTTP</th></tr>
 *   <tr><td>INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION</td><td>400, the stage's description</td></tr>
 *   <tr><td>UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED, ABORTED</td><td>503</td></tr>
 *   <tr><td>DEADLINE_EXCEEDED</td><td>504</td></tr>
 *   <tr><td>FAILED_PRECONDITION of replicas serving another model family than the job's
 *       ({@link FamilyMismatchException})</td><td>503 {@code model_family_mismatch}</td></tr>
 *   <tr><td>UNIMPLEMENTED from the image encoder</td><td>400 {@code unsupported_operation}: the family
 *       cannot take images (variations, image endpoints of interpolations and text diffs)</td></tr>
 *   <tr><td>anything else</td><td>502</td></tr>
 * </table>
 *
 * <p>Only a refusal of the request itself carries the stage's description: it is the reason the
 * request was refused, written by our own stages for the client. Every other failure gets a fixed
 * message and a stable code; its description (a transport error, an address, an exception of the
 * stage) is logged here, never sent.
 */
public final class StageErrors {

    private static final Logger LOG = Logger.getLogger(StageErrors.class);

    private StageErrors() {}

    public static ApiError toApiError(StageException e) {
        String stage = e.stage();
        Status.Code code = e.status().getCode();
        if (e instanceof FamilyMismatchException mismatch) {
            LOG.warnf("the %s stage serves model family %s on every replica tried (%d), the job is pinned to %s",
                    stage, mismatch.served(), e.attempts(), mismatch.pinned());
            return ApiError.server(503, "The stages serve different model families (a rollout may be under way); "
                    + "try again shortly.", "model_family_mismatch");
        }
        if (code == Status.Code.UNIMPLEMENTED && StageClients.IMAGE_ENCODER.equals(stage)) {
            LOG.debugf("the %s stage does not take images: %s", stage, details(e));
            return ApiError.invalidRequest(
                    "Image inputs (variations, and images in interpolations and text diffs) are not supported by "
                            + "this server's model family: it has no image encoder.",
                    null,
                    "unsupported_operation");
        }
        switch (code) {
            case INVALID_ARGUMENT:
            case OUT_OF_RANGE:
            case FAILED_PRECONDITION:
                String description = e.status().getDescription();
                description = description == null || description.isBlank() ? "no details given" : description;
                return ApiError.invalidRequest(
                        "The " + stage + " stage rejected the request: " + description,
                        e.paramResolved() ? e.param() : guessParam(stage, description),
                        "invalid_value");
            default:
                LOG.warnf("the %s stage call failed (%s, tried %d time%s): %s",
                        stage, code, e.attempts(), e.attempts() == 1 ? "" : "s", details(e));
                return serverFailure(stage, code);
        }
    }

    /** A failure of ours or of a stage: a fixed message per kind, nothing from the stage. */
    private static ApiError serverFailure(String stage, Status.Code code) {
        switch (code) {
            case UNAVAILABLE:
                return ApiError.server(503, "The " + stage + " stage is unavailable; try again shortly.", "stage_unavailable");
            case RESOURCE_EXHAUSTED:
                return ApiError.server(503, "The " + stage + " stage is overloaded; try again shortly.", "stage_overloaded");
            case CANCELLED:
            case ABORTED:
                return ApiError.server(503, "The " + stage + " stage call was cancelled; try again shortly.", "stage_cancelled");
            case DEADLINE_EXCEEDED:
                return ApiError.server(504, "The " + stage + " stage did not answer in time.", "stage_timeout");
            default:
                return ApiError.server(502, "The " + stage + " stage failed while processing the request.", "stage_error");
        }
    }

    private static String details(StageException e) {
        String description = e.description();
        return description.isBlank() ? "no details given" : description;
    }

    /** The request field a stage's complaint most likely refers to, or null. */
    static String guessParam(String stage, String description) {
        String text = description.toLowerCase(Locale.ROOT);
        switch (stage) {
            case "text-encoder":
                return "prompt";
            case "image-encoder":
                return "image";
            case "prior":
                if (text.contains("guidance")) {
                    return "prior_guidance_scale";
                }
                return text.contains("step") ? "prior_steps" : null;
            case "decoder":
                if (text.contains("upsampler")) {
                    return text.contains("step") ? "upsampler_steps" : null;
                }
                if (text.contains("guidance")) {
                    return "decoder_guidance_scale";
                }
                if (text.contains("size")) {
                    return "size";
                }
                return text.contains("step") ? "decoder_steps" : null;
            default:
                return null;
        }
    }
}
