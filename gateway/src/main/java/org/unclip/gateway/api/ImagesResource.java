package org.unclip.gateway.api;

import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;
import org.unclip.gateway.jobs.JobOutcome;
import org.unclip.gateway.jobs.JobSpec;
import org.unclip.gateway.jobs.JobState;
import org.unclip.gateway.jobs.JobStatus;
import org.unclip.gateway.jobs.JobStore;
import org.unclip.gateway.jobs.JobWaiter;
import org.unclip.gateway.jobs.StoredImage;

/**
 * The OpenAI-compatible images API.
 *
 * <ul>
 *   <li>{@code POST /v1/images/generations}: queue a job, wait for it, answer the images
 *   <li>{@code POST /v1/images/variations}: the same for variations of an uploaded image
 *   <li>{@code POST /v1/images/interpolations}, {@code /text_diffs}: frames of embedding
 *       arithmetic (extensions; see {@link ManipulationRequestParser})
 *   <li>{@code GET /v1/images/results/{job}/{i}.png}: an image, for {@code response_format=url}
 *   <li>{@code GET /v1/images/jobs/{job}}: a job's state and progress (an extension)
 * </ul>
 */
@Path("/v1/images")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Images", description = "The OpenAI images API (DALL·E 2 subset) and the embedding arithmetic of the DALL·E 2 paper.")
public class ImagesResource {

    /** Names the job behind a response, for {@code GET /v1/images/jobs/{job}}. */
    public static final String JOB_ID_HEADER = "x-unclip-job-id";

    private static final Logger LOG = Logger.getLogger(ImagesResource.class);
    static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{32}");

    private final JobSubmitter submitter;
    private final JobStore store;
    private final JobWaiter waiter;
    private final GatewayConfig config;
    private final DisconnectWatch disconnects;
    private final RequestBodyLimit bodyLimit;
    private final JobOwners owners;

    @Inject
    ImagesResource(
            GatewayConfig config,
            JobStore store,
            JobWaiter waiter,
            JobSubmitter submitter,
            DisconnectWatch disconnects,
            RequestBodyLimit bodyLimit,
            JobOwners owners) {
        this.config = config;
        this.store = store;
        this.waiter = waiter;
        this.submitter = submitter;
        this.disconnects = disconnects;
        this.bodyLimit = bodyLimit;
        this.owners = owners;
    }

    @POST
    @Path("/generations")
    @Operation(operationId = "createImage", summary = "Create images from a prompt",
            description = "Text encoder → prior → decoder cascade, queued as a job; the request waits for it (`unclip.jobs.wait-timeout`).")
    @APIResponse(responseCode = "200", description = "The images, in the OpenAI shape (plus each image's seed).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImagesResponse.class)))
    @APIResponse(responseCode = "400", description = OpenApiText.BAD_REQUEST, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "409", description = OpenApiText.CONFLICT, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "429", description = OpenApiText.QUEUE_FULL, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "default", description = OpenApiText.SERVER, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))

    @Consumes(MediaType.WILDCARD)
    @Blocking
    public CompletionStage<Response> generate(
            @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiSchemas.Generation.class))) byte[] body,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            @Parameter(description = OpenApiText.REQUEST_ID) @HeaderParam(RequestIds.HEADER) String requestId,
            @Parameter(description = OpenApiText.IDEMPOTENCY_KEY) @HeaderParam(JobSubmitter.IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo,
            @Context HttpServerRequest request) {
        bodyLimit.requireWithin(request, body);
        Duration timeout = config.jobs().waitTimeout();
        JobSubmitter.Submitted submitted =
                submitter.submit(
                        "generations", contentType, body, requestId, idempotencyKey, authorization, store.now().plus(timeout));
        return awaitImages(submitted, timeout, uriInfo, idempotencyKey, request);
    }

    /**
     * {@code POST /v1/images/variations}: variations of a square PNG (multipart/form-data, as
     * OpenAI takes it). The image's CLIP embedding conditions the decoder; there is no prompt and
     * no prior. Queued and answered like a generation.
     */
    @POST
    @Path("/variations")
    @Operation(operationId = "createImageVariation", summary = "Create variations of an image",
            description = "The image's CLIP image embedding (image encoder) conditions the decoder for every seed; no prompt, no prior.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(implementation = ApiSchemas.Variation.class)))
    @APIResponse(responseCode = "200", description = "The images, in the OpenAI shape (plus each image's seed).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImagesResponse.class)))
    @APIResponse(responseCode = "400", description = OpenApiText.BAD_REQUEST, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "409", description = OpenApiText.CONFLICT, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "429", description = OpenApiText.QUEUE_FULL, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "default", description = OpenApiText.SERVER, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))

    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Blocking
    public CompletionStage<Response> variations(
            @BeanParam VariationForm form,
            @Parameter(description = OpenApiText.REQUEST_ID) @HeaderParam(RequestIds.HEADER) String requestId,
            @Parameter(description = OpenApiText.IDEMPOTENCY_KEY) @HeaderParam(JobSubmitter.IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo,
            @Context HttpServerRequest http) {
        Map<String, String> fields = form.fields();
        VariationRequest request = submitter.variationParser().parse(form.image(), fields);
        Duration timeout = config.jobs().waitTimeout();
        JobSubmitter.Submitted submitted =
                submitter.submitVariation(
                        request,
                        "variations",
                        VariationForm.fingerprint(fields, request.png()),
                        requestId,
                        idempotencyKey,
                        authorization,
                        false,
                        store.now().plus(timeout));
        return awaitImages(submitted, timeout, uriInfo, idempotencyKey, http);
    }

    /**
     * {@code POST /v1/images/interpolations}: {@code frames} images whose CLIP image embeddings
     * go from {@code from}'s to {@code to}'s along the sphere (each a prompt, through the prior,
     * or a base64 PNG, through the image encoder), all decoded with one seed.
     */
    @POST
    @Path("/interpolations")
    @Operation(operationId = "createImageInterpolation", summary = "Interpolate between two prompts or images",
            description = "Frames between the CLIP image embeddings of `from` and `to` (a prompt through the prior, or a base64 PNG "
                    + "through the image encoder): slerp of the directions, linear interpolation of the lengths, θ evenly spaced "
                    + "in [0, 1]; every frame decoded with the same seed and the empty prompt.")
    @APIResponse(responseCode = "200", description = "The images, in the OpenAI shape (plus each image's seed and its `theta`).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImagesResponse.class)))
    @APIResponse(responseCode = "400", description = OpenApiText.BAD_REQUEST, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "409", description = OpenApiText.CONFLICT, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "429", description = OpenApiText.QUEUE_FULL, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "default", description = OpenApiText.SERVER, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))

    @Consumes(MediaType.WILDCARD)
    @Blocking
    public CompletionStage<Response> interpolations(
            @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiSchemas.Interpolation.class))) byte[] body,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            @Parameter(description = OpenApiText.REQUEST_ID) @HeaderParam(RequestIds.HEADER) String requestId,
            @Parameter(description = OpenApiText.IDEMPOTENCY_KEY) @HeaderParam(JobSubmitter.IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo,
            @Context HttpServerRequest request) {
        bodyLimit.requireWithin(request, body);
        return manipulation(JobSpec.INTERPOLATION, body, contentType, requestId, idempotencyKey, authorization, uriInfo, request);
    }

    /**
     * {@code POST /v1/images/text_diffs}: {@code frames} images whose CLIP image embedding turns
     * from the start's ({@code prompt} or {@code image}) towards the direction from {@code
     * from_text} to {@code to_text}, θ from 0 to {@code max_theta}, all decoded with one seed.
     */
    @POST
    @Path("/text_diffs")
    @Operation(operationId = "createImageTextDiff", summary = "Move an image towards a caption change (text diff)",
            description = "Frames slerp(z, normalize(t(to_text) − t(from_text)), θ) for θ evenly spaced in [0, max_theta], z the CLIP "
                    + "image embedding of the start (`prompt` through the prior, or `image`), t CLIP text embeddings; every frame "
                    + "decoded with the same seed and the empty prompt.")
    @APIResponse(responseCode = "200", description = "The images, in the OpenAI shape (plus each image's seed and its `theta`).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImagesResponse.class)))
    @APIResponse(responseCode = "400", description = OpenApiText.BAD_REQUEST, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "409", description = OpenApiText.CONFLICT, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "429", description = OpenApiText.QUEUE_FULL, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "default", description = OpenApiText.SERVER, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))

    @Consumes(MediaType.WILDCARD)
    @Blocking
    public CompletionStage<Response> textDiffs(
            @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiSchemas.TextDiff.class))) byte[] body,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            @Parameter(description = OpenApiText.REQUEST_ID) @HeaderParam(RequestIds.HEADER) String requestId,
            @Parameter(description = OpenApiText.IDEMPOTENCY_KEY) @HeaderParam(JobSubmitter.IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo,
            @Context HttpServerRequest request) {
        bodyLimit.requireWithin(request, body);
        return manipulation(JobSpec.TEXT_DIFF, body, contentType, requestId, idempotencyKey, authorization, uriInfo, request);
    }

    private CompletionStage<Response> manipulation(
            String kind,
            byte[] body,
            String contentType,
            String requestId,
            String idempotencyKey,
            String authorization,
            UriInfo uriInfo,
            HttpServerRequest request) {
        Duration timeout = config.jobs().waitTimeout();
        JobSubmitter.Submitted submitted =
                submitter.submitManipulation(
                        kind, contentType, body, requestId, idempotencyKey, authorization, store.now().plus(timeout));
        return awaitImages(submitted, timeout, uriInfo, idempotencyKey, request);
    }

    /**
     * {@code POST /v1/images/edits}: the model families served here have no inpainting decoder,
     * so every edit is refused with an OpenAI-style 400 (the body is read and ignored).
     */
    @POST
    @Path("/edits")
    @Operation(operationId = "createImageEdit", summary = "Image edits (not supported)",
            description = "Always 400 `unsupported_operation`: the model families served here have no inpainting decoder.")
    @APIResponse(responseCode = "400", description = OpenApiText.BAD_REQUEST, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))

    @Consumes(MediaType.WILDCARD)
    public Response edits(@RequestBody(content = @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(type = SchemaType.OBJECT, description = "Read and ignored."))) byte[] body,
            @Context HttpServerRequest request) {
        bodyLimit.requireWithin(request, body);
        throw new ApiException(
                ApiError.invalidRequest(
                        "Image edits (inpainting) are not supported: this server's unCLIP model family has no inpainting "
                                + "decoder. Use /v1/images/generations or /v1/images/variations instead.",
                        null,
                        "unsupported_operation"));
    }

    /**
     * Waits for the job and answers its images. A client that hangs up meanwhile cancels its job,
     * unless it sent an Idempotency-Key (it may come back for the same job).
     */
    private CompletionStage<Response> awaitImages(
            JobSubmitter.Submitted submitted, Duration timeout, UriInfo uriInfo, String idempotencyKey, HttpServerRequest request) {
        String jobId = submitted.jobId();
        CompletableFuture<JobOutcome> outcome = waiter.await(jobId, timeout);
        if (idempotencyKey == null || idempotencyKey.isBlank()) {
            disconnects.watch(request.response(), outcome, () -> {
                if (store.cancel(jobId).filter(state -> !state.isTerminal()).isPresent()) {
                    LOG.infof("job %s cancelled: its client hung up while waiting", jobId);
                }
            });
        }
        String baseUrl = baseUrl(uriInfo);
        return outcome.handle(
                (done, error) -> {
                    Response response =
                            error == null
                                    ? respond(jobId, submitted.responseFormat(), baseUrl, done, submitted.thetas())
                                    : respondToWaitFailure(jobId, submitted, timeout, error);
                    if (submitted.replayed()) {
                        response.getHeaders().putSingle(JobSubmitter.REPLAYED, "true");
                    }
                    return response;
                });
    }

    @GET
    @Path("/results/{job}/{index: [0-9]{1,3}}.png")
    @Operation(operationId = "getImageResult", summary = "An image of a finished job",
            description = "The PNG behind a `url` result, until it expires (`unclip.jobs.result-ttl`). Open even when API keys are configured.")
    @APIResponse(responseCode = "200", description = "The PNG.", content = @Content(mediaType = "image/png", schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "404", description = OpenApiText.NO_SUCH_IMAGE, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))

    @Produces({"image/png", MediaType.APPLICATION_JSON})
    public Response image(
            @Parameter(description = OpenApiText.JOB_ID) @PathParam("job") String jobId,
            @Parameter(description = "The image's index in the response's `data`.") @PathParam("index") int index,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        if (!JOB_ID.matcher(jobId).matches()) {
            throw new ApiException(ApiError.notFound("No image " + index + " of job '" + jobId + "': no such job."));
        }
        Optional<byte[]> image = owners.mayFetchImages(jobId, authorization) ? store.image(jobId, index) : Optional.empty();
        return image
                .map(png -> Response.ok(png, "image/png").header(JOB_ID_HEADER, jobId).build())
                .orElseThrow(
                        () ->
                                new ApiException(
                                        ApiError.notFound(
                                                "No image " + index + " of job '" + jobId + "': it does not exist or has expired.")));
    }

    @GET
    @Path("/jobs/{job}")
    @Operation(operationId = "getImageJob", summary = "A job's state (same as GET /v1/jobs/{id}, without queue position and seeds)")
    @APIResponse(responseCode = "200", description = "The job.", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "404", description = OpenApiText.NO_SUCH_JOB, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))

    public JobView job(
            @Parameter(description = OpenApiText.JOB_ID) @PathParam("job") String jobId,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo) {
        Optional<JobStore.StoredJob> found =
                JOB_ID.matcher(jobId).matches() && owners.mayAccess(jobId, authorization) ? store.load(jobId) : Optional.empty();
        JobStore.StoredJob job =
                found.orElseThrow(
                        () -> new ApiException(ApiError.notFound("No job '" + jobId + "': it does not exist or has expired.")));
        JobStatus status = job.status();
        List<ImagesResponse.Image> data = status.state() == JobState.SUCCEEDED ? resultUrls(jobId, job.spec(), baseUrl(uriInfo)) : null;
        return JobView.of(status, data);
    }

    /** URLs, seeds and θs of a succeeded job's images, or null once they expired. */
    List<ImagesResponse.Image> resultUrls(String jobId, JobSpec spec, String baseUrl) {
        List<Double> thetas = spec == null || spec.manipulation() == null ? null : spec.manipulation().thetas();
        return store.resultSeeds(jobId)
                .map(
                        seeds -> {
                            List<ImagesResponse.Image> images = new ArrayList<>(seeds.size());
                            for (int i = 0; i < seeds.size(); i++) {
                                images.add(
                                        new ImagesResponse.Image(
                                                null, imageUrl(baseUrl, jobId, i), seeds.get(i), ImagesResponse.theta(thetas, i)));
                            }
                            return images;
                        })
                .orElse(null);
    }

    static String imageUrl(String baseUrl, String jobId, int index) {
        return baseUrl + "/v1/images/results/" + jobId + "/" + index + ".png";
    }

    private Response respond(String jobId, ResponseFormat format, String baseUrl, JobOutcome outcome, List<Double> thetas) {
        JobStatus status = outcome.status();
        if (status.state() == JobState.CANCELLED) {
            return ErrorResponses.builder(
                            new ApiError(409, ApiError.INVALID_REQUEST, "The job was cancelled (DELETE /v1/jobs/" + jobId + ").", null, "job_cancelled"))
                    .header(JOB_ID_HEADER, jobId)
                    .header(ErrorResponses.SHOULD_RETRY, "false")
                    .build();
        }
        if (status.state() != JobState.SUCCEEDED) {
            ApiError error =
                    status.error().orElse(ApiError.server(500, "The job failed without saying why.", "internal_error"));
            return ErrorResponses.builder(error)
                    .header(JOB_ID_HEADER, jobId)
                    .header(ErrorResponses.SHOULD_RETRY, error.status() == 504 ? "false" : null)
                    .build();
        }
        List<ImagesResponse.Image> data = new ArrayList<>(outcome.images().size());
        for (int i = 0; i < outcome.images().size(); i++) {
            StoredImage image = outcome.images().get(i);
            data.add(
                    format == ResponseFormat.URL
                            ? new ImagesResponse.Image(null, imageUrl(baseUrl, jobId, i), image.seed(), ImagesResponse.theta(thetas, i))
                            : new ImagesResponse.Image(image.pngBase64(), null, image.seed(), ImagesResponse.theta(thetas, i)));
        }
        return Response.ok(new ImagesResponse(status.createdAt().getEpochSecond(), data))
                .header(JOB_ID_HEADER, jobId)
                .build();
    }

    private Response respondToWaitFailure(String jobId, JobSubmitter.Submitted submitted, Duration timeout, Throwable error) {
        String requestId = submitted.requestId();
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TimeoutException) {
            LOG.warnf("request %s: job %s not finished within %s", requestId, jobId, timeout);
            return ErrorResponses.builder(
                            ApiError.server(
                                    504,
                                    "The images were not ready within " + timeout.toSeconds() + " s; the job may still finish (see GET /v1/images/jobs/" + jobId + ").",
                                    "timeout"))
                    .header(JOB_ID_HEADER, jobId)
                    // Retrying would queue the same work again behind the job that is still running.
                    .header(ErrorResponses.SHOULD_RETRY, "false")
                    .build();
        }
        if (cause instanceof JobWaiter.JobGoneException && submitted.replayed()) {
            // The key's job still exists (else the key would have been free) but its images are
            // gone (unclip.jobs.result-ttl): the client's answer is to ask again with a new key.
            return ErrorResponses.builder(
                            new ApiError(
                                    404,
                                    ApiError.INVALID_REQUEST,
                                    "The images of job " + jobId + ", made for an earlier request with this Idempotency-Key, have "
                                            + "expired. Send the request with a new Idempotency-Key to generate them again.",
                                    null,
                                    "result_expired"))
                    .header(JOB_ID_HEADER, jobId)
                    .header(ErrorResponses.SHOULD_RETRY, "false")
                    .build();
        }
        if (cause instanceof JobWaiter.JobGoneException) {
            return ErrorResponses.builder(ApiError.server(500, cause.getMessage(), "job_expired"))
                    .header(JOB_ID_HEADER, jobId)
                    .build();
        }
        LOG.errorf(cause, "request %s: waiting for job %s failed", requestId, jobId);
        return ErrorResponses.builder(
                        ApiError.server(500, "The server had an error while waiting for the images.", "internal_error"))
                .header(JOB_ID_HEADER, jobId)
                .build();
    }

    String baseUrl(UriInfo uriInfo) {
        String base = config.api().publicBaseUrl().orElseGet(() -> uriInfo.getBaseUri().toString());
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }
}
