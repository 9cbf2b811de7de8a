package org.unclip.gateway.api;

import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.http.HttpServerRequest;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.jboss.resteasy.reactive.RestForm;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;
import org.unclip.gateway.jobs.JobState;
import org.unclip.gateway.jobs.JobStatus;
import org.unclip.gateway.jobs.JobStore;
import org.unclip.gateway.redis.RedisConnections;

/**
 * Asynchronous jobs.
 *
 * <ul>
 *   <li>{@code POST /v1/jobs}: queue a job and answer 202 with it at once: JSON, a generation, an
 *       interpolation or a text diff (the body of that endpoint, {@code type} naming it); a
 *       multipart form, a variation (the form of {@code /v1/images/variations})
 *   <li>{@code GET /v1/jobs/{id}}: state, stage and step, queue position, seeds, image URLs
 *   <li>{@code GET /v1/jobs/{id}/events}: the job's events as Server-Sent Events, history first
 *   <li>{@code DELETE /v1/jobs/{id}}: cancel a queued or running job
 * </ul>
 *
 * Everything lives in Redis, so any replica serves any job.
 */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Jobs", description = "Asynchronous jobs: queue, follow (state or Server-Sent Events), cancel.")
public class JobsResource {

    private static final Logger LOG = Logger.getLogger(JobsResource.class);
    private static final Pattern EVENT_ID = Pattern.compile("[0-9]{1,20}-[0-9]{1,20}");
    private static final Set<String> TERMINAL_EVENTS = Set.of("completed", "failed", "cancelled");

    private final JobSubmitter submitter;
    private final JobStore store;
    private final RedisConnections redis;
    private final GatewayConfig config;
    private final ExecutorService readers;
    private final java.util.concurrent.Semaphore openStreams;
    private final RequestBodyLimit bodyLimit;
    private final JobOwners owners;

    @Inject
    JobsResource(
            GatewayConfig config,
            JobStore store,
            JobSubmitter submitter,
            RedisConnections redis,
            RequestBodyLimit bodyLimit,
            JobOwners owners) {
        this.config = config;
        this.store = store;
        this.submitter = submitter;
        this.redis = redis;
        this.bodyLimit = bodyLimit;
        this.owners = owners;
        this.openStreams = new java.util.concurrent.Semaphore(Math.max(1, config.jobs().maxEventStreams()));
        AtomicInteger count = new AtomicInteger();
        this.readers =
                Executors.newCachedThreadPool(
                        r -> {
                            Thread t = new Thread(r, "unclip-job-events-" + count.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
    }

    @PreDestroy
    void close() {
        readers.shutdownNow();
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Blocking
    @Operation(operationId = "createJob", summary = "Queue a job and answer at once",
            description = "As JSON: a generation (the body of /v1/images/generations), or with `type` an interpolation or text diff "
                    + "(the body of that endpoint). As multipart/form-data: a variation (the form of /v1/images/variations). Either "
                    + "may add `previews` (default true: the decoder sends previews, see the events). Answers 202 with the job and "
                    + "`Location: /v1/jobs/{id}`.")
    @APIResponse(responseCode = "202", description = "The queued job (or, for a repeated Idempotency-Key, the earlier one).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "400", description = OpenApiText.BAD_REQUEST, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "409", description = "`job_finished`: the job already succeeded or failed; or a reused Idempotency-Key (`idempotency_key_reused`).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "429", description = OpenApiText.QUEUE_FULL, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "default", description = "Redis is unavailable (503).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    public Response submit(
            @RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiSchemas.Job.class)),
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA, schema = @Schema(implementation = ApiSchemas.VariationJob.class))})
                    byte[] body,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            @Parameter(description = OpenApiText.REQUEST_ID) @HeaderParam(RequestIds.HEADER) String requestId,
            @Parameter(description = OpenApiText.IDEMPOTENCY_KEY) @HeaderParam(JobSubmitter.IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo,
            @Context HttpServerRequest request) {
        bodyLimit.requireWithin(request, body);
        JobSubmitter.Submitted submitted =
                submitter.submitJob(
                        contentType,
                        body,
                        requestId,
                        idempotencyKey,
                        authorization,
                        // An asynchronous job waits in the queue for as long as it lives.
                        store.now().plus(config.jobs().jobTtl()));
        return accepted(submitted, uriInfo);
    }

    /**
     * A multipart {@code POST /v1/jobs}: a variation job (the form of {@code
     * /v1/images/variations}, plus {@code type} and {@code previews}). Documented as the form
     * body of {@link #submit}, the same operation.
     */
    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    @Blocking
    @Operation(hidden = true)
    public Response submitVariation(
            @BeanParam VariationForm form,
            @RestForm("type") String type,
            @RestForm("previews") String previews,
            @HeaderParam(RequestIds.HEADER) String requestId,
            @HeaderParam(JobSubmitter.IDEMPOTENCY_KEY) String idempotencyKey,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo) {
        JobSubmitter.Submitted submitted =
                submitter.submitVariationJob(
                        form, type, previews, requestId, idempotencyKey, authorization, store.now().plus(config.jobs().jobTtl()));
        return accepted(submitted, uriInfo);
    }

    private Response accepted(JobSubmitter.Submitted submitted, UriInfo uriInfo) {
        JobView view = view(submitted.jobId(), uriInfo);
        Response.ResponseBuilder response =
                Response.status(Response.Status.ACCEPTED)
                        .entity(view)
                        .location(URI.create("/v1/jobs/" + submitted.jobId()))
                        .header(ImagesResource.JOB_ID_HEADER, submitted.jobId());
        if (submitted.replayed()) {
            response.header(JobSubmitter.REPLAYED, "true");
        }
        return response.build();
    }

    @GET
    @Path("/{job}")
    @Blocking
    @Operation(operationId = "getJob", summary = "A job: state, stage and step, queue position, seeds, and its images once it succeeded")
    @APIResponse(responseCode = "200", description = "The job.", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "404", description = OpenApiText.NO_SUCH_JOB, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    public Response get(
            @Parameter(description = OpenApiText.JOB_ID) @PathParam("job") String jobId,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo) {
        requireAccess(jobId, authorization);
        return Response.ok(view(jobId, uriInfo)).header(ImagesResource.JOB_ID_HEADER, jobId).build();
    }

    @DELETE
    @Path("/{job}")
    @Blocking
    @Operation(operationId = "cancelJob", summary = "Cancel a queued or running job",
            description = "The running stage stops within one step; a queued job never runs. Cancelling a cancelled job is not an error.")
    @APIResponse(responseCode = "200", description = "The job, `state: cancelled`.", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "404", description = OpenApiText.NO_SUCH_JOB, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "409", description = "`job_finished`: the job already succeeded or failed; or a reused Idempotency-Key (`idempotency_key_reused`).", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    public Response cancel(
            @Parameter(description = OpenApiText.JOB_ID) @PathParam("job") String jobId,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context UriInfo uriInfo) {
        requireAccess(jobId, authorization);
        Optional<JobState> previous = validId(jobId) ? store.cancel(jobId) : Optional.empty();
        JobState was = previous.orElseThrow(() -> notFound(jobId));
        if (was == JobState.SUCCEEDED || was == JobState.FAILED) {
            throw new ApiException(
                    new ApiError(
                            409,
                            ApiError.INVALID_REQUEST,
                            "Job '" + jobId + "' has already " + was.wireName() + "; only queued or running jobs can be cancelled.",
                            null,
                            "job_finished"),
                    false,
                    null);
        }
        if (was != JobState.CANCELLED) {
            LOG.infof("job %s cancelled while %s", jobId, was.wireName());
        }
        return Response.ok(view(jobId, uriInfo)).header(ImagesResource.JOB_ID_HEADER, jobId).build();
    }

    /**
     * The job's events, oldest first, then live until the job completes, fails or is cancelled.
     * Each SSE message has {@code event} = type, {@code id} = the Redis stream entry id (send it
     * back as {@code Last-Event-ID} to resume) and {@code data} = a JSON object.
     */
    @GET
    @Path("/{job}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    @Operation(operationId = "streamJobEvents", summary = "The job's events as Server-Sent Events",
            description = "The whole history, then live until `completed`, `failed` or `cancelled`. Events: `queued`, `started`, "
                    + "`stage`, `progress`, `preview` (base64 PNG of the decoder's current x0 prediction), `completed`, `failed`, "
                    + "`cancelled`; each with `id` (send it back as `Last-Event-ID` to resume) and JSON `data`.")
    @APIResponse(responseCode = "200", description = "The event stream.",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS, schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "401", description = OpenApiText.UNAUTHORIZED, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "404", description = OpenApiText.NO_SUCH_JOB, content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "429", description = "Too many event streams are open on this server (`unclip.jobs.max-event-streams`); retry after `Retry-After` or poll the job.", content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    public Multi<OutboundSseEvent> events(
            @Parameter(description = OpenApiText.JOB_ID) @PathParam("job") String jobId,
            @Parameter(description = "Resume after this event id (a Redis stream entry id).") @HeaderParam("Last-Event-ID") String lastEventId,
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Context Sse sse) {
        requireAccess(jobId, authorization);
        if (!validId(jobId) || store.state(jobId).isEmpty()) {
            throw notFound(jobId);
        }
        String from = lastEventId != null && EVENT_ID.matcher(lastEventId.trim()).matches() ? lastEventId.trim() : "0-0";
        // Each open stream holds a reader thread and its Redis connection: their number is bounded,
        // and a place is free again once the reader has ended (and closed its connection).
        if (!openStreams.tryAcquire()) {
            throw ApiException.retryLater(
                    config.jobs().queueFullRetryAfter(),
                    seconds -> "Too many event streams are open on this server (" + config.jobs().maxEventStreams()
                            + "); retry after " + seconds + " s, or poll GET /v1/jobs/" + jobId + ".");
        }
        return Multi.createFrom()
                .emitter(
                        emitter -> {
                            AtomicBoolean stopped = new AtomicBoolean();
                            emitter.onTermination(() -> stopped.set(true));
                            try {
                                readers.execute(() -> {
                                    try {
                                        stream(jobId, from, sse, emitter, stopped);
                                    } finally {
                                        openStreams.release();
                                    }
                                });
                            } catch (RejectedExecutionException shuttingDown) {
                                openStreams.release();
                                emitter.complete();
                            }
                        },
                        BackPressureStrategy.BUFFER);
    }


    private void stream(String jobId, String from, Sse sse, MultiEmitter<? super OutboundSseEvent> emitter, AtomicBoolean stopped) {
        Duration block = config.jobs().eventsBlock();
        String key = store.keys().events(jobId);
        String last = from;
        boolean finishing = false;
        try (StatefulRedisConnection<String, String> connection = redis.openDedicated(block)) {
            while (!stopped.get()) {
                List<StreamMessage<String, String>> messages =
                        connection
                                .sync()
                                .xread(XReadArgs.Builder.block(block).count(100), XReadArgs.StreamOffset.from(key, last));
                if (messages == null || messages.isEmpty()) {
                    // Nothing new: stop if the job is gone, or finished with its last event trimmed away.
                    // (One more read after seeing it finished picks up a terminal event written meanwhile.)
                    Optional<JobState> state = store.state(jobId);
                    if (state.isEmpty() || state.get().isTerminal() && finishing) {
                        break;
                    }
                    finishing = state.get().isTerminal();
                    continue;
                }
                for (StreamMessage<String, String> message : messages) {
                    last = message.getId();
                    Map<String, String> body = message.getBody();
                    String type = body.getOrDefault("type", "message");
                    emitter.emit(
                            sse.newEventBuilder()
                                    .name(type)
                                    .id(message.getId())
                                    .mediaType(MediaType.TEXT_PLAIN_TYPE)
                                    .data(String.class, body.getOrDefault("data", "{}"))
                                    .build());
                    if (TERMINAL_EVENTS.contains(type)) {
                        emitter.complete();
                        return;
                    }
                }
            }
            emitter.complete();
        } catch (RuntimeException e) {
            if (!stopped.get()) {
                LOG.debugf("event stream of job %s ended: %s", jobId, e.getMessage());
                emitter.complete();
            }
        }
    }

    private JobView view(String jobId, UriInfo uriInfo) {
        Optional<JobStore.StoredJob> found = validId(jobId) ? store.load(jobId) : Optional.empty();
        JobStore.StoredJob job = found.orElseThrow(() -> notFound(jobId));
        JobStatus status = job.status();
        List<ImagesResponse.Image> data = null;
        if (status.state() == JobState.SUCCEEDED) {
            String base = config.api().publicBaseUrl().orElseGet(() -> uriInfo.getBaseUri().toString());
            String baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
            List<Double> thetas = job.spec() == null || job.spec().manipulation() == null ? null : job.spec().manipulation().thetas();
            data =
                    store.resultSeeds(jobId)
                            .map(
                                    seeds -> {
                                        List<ImagesResponse.Image> list = new ArrayList<>(seeds.size());
                                        for (int i = 0; i < seeds.size(); i++) {
                                            list.add(
                                                    new ImagesResponse.Image(
                                                            null,
                                                            ImagesResource.imageUrl(baseUrl, jobId, i),
                                                            seeds.get(i),
                                                            ImagesResponse.theta(thetas, i)));
                                        }
                                        return list;
                                    })
                            .orElse(null);
        }
        Long position = status.state() == JobState.QUEUED ? store.queuePosition(jobId).orElse(null) : null;
        return JobView.of(status, data, job.spec() == null ? null : job.spec().seeds(), position);
    }

    /** Another API key's job is answered as an unknown one. */
    private void requireAccess(String jobId, String authorization) {
        if (validId(jobId) && !owners.mayAccess(jobId, authorization)) {
            throw notFound(jobId);
        }
    }

    private static boolean validId(String jobId) {
        return jobId != null && ImagesResource.JOB_ID.matcher(jobId).matches();
    }

    private static ApiException notFound(String jobId) {
        return new ApiException(ApiError.notFound("No job '" + jobId + "': it does not exist or has expired."));
    }
}
