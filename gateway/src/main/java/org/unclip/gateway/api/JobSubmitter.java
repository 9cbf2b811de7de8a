package org.unclip.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;
import org.unclip.gateway.jobs.JobSpec;
import org.unclip.gateway.jobs.JobStore;
import org.unclip.gateway.jobs.Seeds;

/**
 * Turns a request into a queued job, for {@code POST /v1/images/generations}, {@code /variations},
 * {@code /interpolations}, {@code /text_diffs} and {@code POST /v1/jobs}: validation, seeds, the
 * {@code Idempotency-Key} and the queue bound. The store writes everything in one atomic script,
 * so a refused request leaves nothing behind (input images, written just before, are deleted).
 */
@ApplicationScoped
public class JobSubmitter {

    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    /** Set on responses that answer a repeated Idempotency-Key with the earlier job. */
    public static final String REPLAYED = "Idempotent-Replayed";

    private static final Logger LOG = Logger.getLogger(JobSubmitter.class);
    private static final int MAX_KEY_LENGTH = 255;

    private final GenerationRequestParser parser;
    private final VariationRequestParser variationParser;
    private final ManipulationRequestParser manipulationParser;
    private final JobStore store;
    private final GatewayConfig config;
    private final JobOwners owners;

    @Inject
    JobSubmitter(GatewayConfig config, JobStore store, JobOwners owners) {
        this.config = config;
        this.store = store;
        this.owners = owners;
        this.parser =
                new GenerationRequestParser(
                        config.api().sizes(),
                        config.api().maxPromptLength(),
                        config.api().maxImages(),
                        ResponseFormat.fromWireName(config.api().defaultResponseFormat())
                                .orElseThrow(
                                        () ->
                                                new IllegalArgumentException(
                                                        "unclip.api.default-response-format must be b64_json or url, got "
                                                                + config.api().defaultResponseFormat())));
        this.variationParser =
                new VariationRequestParser(
                        config.api().sizes(),
                        config.api().maxImages(),
                        ResponseFormat.fromWireName(config.api().defaultResponseFormat()).orElseThrow());
        this.manipulationParser = new ManipulationRequestParser(parser, config.api().maxFrames());
    }

    public VariationRequestParser variationParser() {
        return variationParser;
    }

    /**
     * A queued (or, for a repeated key, earlier) job.
     *
     * @param replayed true when the Idempotency-Key named an earlier job and nothing new was queued
     */
    public record Submitted(
            String jobId, ResponseFormat responseFormat, String requestId, boolean replayed, List<Double> thetas) {

        /**
         * @param thetas the θ of each image of an interpolation or text diff, in order; null for
         *     the other kinds
         */
        public Submitted {
            thetas = thetas == null ? null : List.copyOf(thetas);
        }
    }

    /** The job types {@code POST /v1/jobs} takes in its optional {@code type} field. */
    public static final List<String> JOB_TYPES = List.of(JobSpec.GENERATION, JobSpec.INTERPOLATION, JobSpec.TEXT_DIFF);

    /**
     * The fields {@code POST /v1/jobs} adds to the body of the endpoint its job type names:
     * {@code type} and {@code previews}.
     */
    public static final List<String> JOB_FIELDS = List.of("type", "previews");

    /**
     * A synchronous images endpoint: the request waits for the job, so nobody follows its events
     * and the decoder is not asked for previews.
     *
     * @param endpoint names the endpoint in the request fingerprint, so a key reused on the other
     *     endpoint is a conflict
     * @param authorization the caller's {@code Authorization} header (scopes the key), or null
     * @param waitUntil after this instant a still-queued job is not run
     */
    public Submitted submit(
            String endpoint,
            String contentType,
            byte[] body,
            String requestId,
            String idempotencyKey,
            String authorization,
            Instant waitUntil) {
        GenerationRequest request = parser.parse(contentType, body);
        return submitGeneration(request, endpoint, body, requestId, idempotencyKey, authorization, false, waitUntil);
    }

    /**
     * {@code POST /v1/jobs}: a generation, or the interpolation or text diff its optional
     * {@code type} field names ({@code generation} by default; the rest of the body is that
     * endpoint's). The optional boolean {@code previews} (default true) asks the decoder for the
     * x0 previews that the job's events carry; false spares the decoder their PNG encoding.
     */
    public Submitted submitJob(
            String contentType,
            byte[] body,
            String requestId,
            String idempotencyKey,
            String authorization,
            Instant waitUntil) {
        JsonNode root = GenerationRequestParser.readJson(contentType, body);
        String type = JobSpec.GENERATION;
        boolean previews = true;
        if (root instanceof ObjectNode object && object.has("previews")) {
            JsonNode node = object.remove("previews");
            if (!node.isBoolean()) {
                throw GenerationRequestParser.wrongType("previews", "a boolean", node);
            }
            previews = node.booleanValue();
        }
        if (root instanceof ObjectNode object && object.has("type")) {
            JsonNode node = object.remove("type");
            if (!node.isTextual()) {
                throw GenerationRequestParser.wrongType("type", "a string", node);
            }
            type = node.textValue();
            if (JobSpec.VARIATION.equals(type)) {
                throw GenerationRequestParser.invalid(
                        "A variation job takes its image as a file: send POST /v1/jobs as multipart/form-data with the fields "
                                + "of /v1/images/variations (and optionally 'previews').",
                        "type",
                        "invalid_value");
            }
            if (!JOB_TYPES.contains(type)) {
                throw GenerationRequestParser.invalid(
                        "Invalid 'type': '" + type + "' is not supported. Supported values are: "
                                + GenerationRequestParser.quoted(JOB_TYPES) + ".",
                        "type",
                        "invalid_value");
            }
        }
        switch (type) {
            case JobSpec.INTERPOLATION:
                return submitManipulation(
                        manipulationParser.parseInterpolation(root), "jobs", body, requestId, idempotencyKey, authorization, previews, waitUntil);
            case JobSpec.TEXT_DIFF:
                return submitManipulation(
                        manipulationParser.parseTextDiff(root), "jobs", body, requestId, idempotencyKey, authorization, previews, waitUntil);
            default:
                return submitGeneration(parser.parse(root), "jobs", body, requestId, idempotencyKey, authorization, previews, waitUntil);
        }
    }

    /**
     * A multipart {@code POST /v1/jobs}: a variation job, the form of {@code
     * /v1/images/variations} plus {@code type} (absent or {@code variation}) and {@code previews}
     * ({@code true}, the default, or {@code false}).
     */
    public Submitted submitVariationJob(
            VariationForm form,
            String type,
            String previews,
            String requestId,
            String idempotencyKey,
            String authorization,
            Instant waitUntil) {
        if (type != null && !type.isBlank() && !JobSpec.VARIATION.equals(type.strip())) {
            throw GenerationRequestParser.invalid(
                    "Invalid 'type': '" + type + "' is not a job that takes a form. A multipart/form-data body is a variation "
                            + "job ('type' absent or 'variation'); send " + GenerationRequestParser.quoted(JOB_TYPES)
                            + " jobs as JSON.",
                    "type",
                    "invalid_value");
        }
        boolean withPreviews = formBoolean("previews", previews, true);
        Map<String, String> fields = form.fields();
        VariationRequest request = variationParser.parse(form.image(), fields);
        fields.put("previews", Boolean.toString(withPreviews));
        return submitVariation(
                request,
                "jobs",
                VariationForm.fingerprint(fields, request.png()),
                requestId,
                idempotencyKey,
                authorization,
                withPreviews,
                waitUntil);
    }

    private static boolean formBoolean(String field, String value, boolean defaultValue) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw GenerationRequestParser.invalid(
                        "Invalid type for '" + field + "': expected a boolean ('true' or 'false'), but got '" + value + "' instead.",
                        field,
                        "invalid_type");
        }
    }

    /**
     * {@code POST /v1/images/interpolations} ({@code kind} {@link JobSpec#INTERPOLATION}) or
     * {@code /text_diffs} ({@link JobSpec#TEXT_DIFF}).
     */
    public Submitted submitManipulation(
            String kind,
            String contentType,
            byte[] body,
            String requestId,
            String idempotencyKey,
            String authorization,
            Instant waitUntil) {
        JsonNode root = GenerationRequestParser.readJson(contentType, body);
        ManipulationRequest request =
                JobSpec.TEXT_DIFF.equals(kind)
                        ? manipulationParser.parseTextDiff(root)
                        : manipulationParser.parseInterpolation(root);
        return submitManipulation(request, kind + "s", body, requestId, idempotencyKey, authorization, false, waitUntil);
    }

    private Submitted submitGeneration(
            GenerationRequest request,
            String endpoint,
            byte[] body,
            String requestId,
            String idempotencyKey,
            String authorization,
            boolean previews,
            Instant waitUntil) {
        JobStore.Idempotency idempotency = idempotency(endpoint, body, idempotencyKey, authorization);
        List<Long> seeds = seeds(request.seed(), request.n());
        String rid = requestId == null ? RequestIds.newId() : requestId;
        JobSpec spec =
                new JobSpec(
                        rid,
                        request.prompt(),
                        request.size().pixels(),
                        seeds,
                        request.priorSteps(),
                        request.decoderSteps(),
                        request.upsamplerSteps(),
                        request.priorGuidanceScale(),
                        request.decoderGuidanceScale(),
                        previews,
                        JobSpec.GENERATION,
                        request.preset(),
                        null);
        return enqueue(spec, request.responseFormat(), request.size().label(), List.of(), waitUntil, idempotency, idempotencyKey, authorization);
    }

    private Submitted submitManipulation(
            ManipulationRequest request,
            String endpoint,
            byte[] body,
            String requestId,
            String idempotencyKey,
            String authorization,
            boolean previews,
            Instant waitUntil) {
        JobStore.Idempotency idempotency = idempotency(endpoint, body, idempotencyKey, authorization);
        String rid = requestId == null ? RequestIds.newId() : requestId;
        // One seed for every frame: the prior of prompt endpoints and the decoder noise stay fixed,
        // so the frames differ only by their image embeddings.
        long seed = request.seed().orElseGet(() -> Seeds.draw(ThreadLocalRandom.current()));
        JobSpec spec =
                new JobSpec(
                        rid,
                        "",
                        request.size().pixels(),
                        java.util.Collections.nCopies(request.frames(), seed),
                        request.priorSteps(),
                        request.decoderSteps(),
                        request.upsamplerSteps(),
                        request.priorGuidanceScale(),
                        request.decoderGuidanceScale(),
                        previews,
                        request.manipulation().kind(),
                        request.preset(),
                        request.manipulation());
        return enqueue(
                spec, request.responseFormat(), request.size().label(), request.images(), waitUntil, idempotency, idempotencyKey, authorization);
    }

    /**
     * Queues a variation job; its input image is stored under its own key first.
     *
     * @param endpoint names the endpoint in the request fingerprint ({@code variations} or {@code jobs})
     * @param fingerprint the request's fields and image in a canonical form, for the Idempotency-Key
     * @param previews ask the decoder for previews (only {@code POST /v1/jobs} does)
     */
    public Submitted submitVariation(
            VariationRequest request,
            String endpoint,
            byte[] fingerprint,
            String requestId,
            String idempotencyKey,
            String authorization,
            boolean previews,
            Instant waitUntil) {
        JobStore.Idempotency idempotency = idempotency(endpoint, fingerprint, idempotencyKey, authorization);
        String rid = requestId == null ? RequestIds.newId() : requestId;
        JobSpec spec =
                new JobSpec(
                        rid,
                        "",
                        request.size().pixels(),
                        seeds(request.seed(), request.n()),
                        0,
                        request.decoderSteps(),
                        request.upsamplerSteps(),
                        0f,
                        request.decoderGuidanceScale(),
                        previews,
                        JobSpec.VARIATION,
                        null,
                        null);
        return enqueue(
                spec, request.responseFormat(), request.size().label(), List.of(request.png()), waitUntil, idempotency, idempotencyKey, authorization);
    }

    private static List<Long> seeds(java.util.OptionalLong requested, int n) {
        long seed = requested.orElseGet(() -> Seeds.draw(ThreadLocalRandom.current()));
        List<Long> seeds = new ArrayList<>(n);
        for (long s : Seeds.forImages(seed, n)) {
            seeds.add(s);
        }
        return seeds;
    }

    private Submitted enqueue(
            JobSpec spec,
            ResponseFormat format,
            String sizeLabel,
            List<byte[]> inputs,
            Instant waitUntil,
            JobStore.Idempotency idempotency,
            String idempotencyKey,
            String authorization) {
        String rid = spec.requestId();
        String owner = owners.ownerFor(authorization);
        String jobId = UUID.randomUUID().toString().replace("-", "");
        List<Double> thetas = spec.manipulation() == null ? null : spec.manipulation().thetas();
        JobStore.Submission result;
        try {
            if (!inputs.isEmpty()) {
                store.storeInputs(jobId, inputs);
            }
            result = store.submit(jobId, spec, waitUntil, config.jobs().maxQueued(), idempotency, owner);
            if (result.outcome() == JobStore.Submission.Outcome.EXISTING && store.state(result.jobId()).isEmpty()) {
                // The key's job has expired (job-ttl is shorter than idempotency-ttl), so there is
                // nothing left to replay: the key is free again and this request is a new one.
                LOG.debugf("request %s: the job %s of its Idempotency-Key has expired; queuing a new one", rid, result.jobId());
                store.releaseIdempotency(idempotency, result);
                result = store.submit(jobId, spec, waitUntil, config.jobs().maxQueued(), idempotency, owner);
            }
            if (!inputs.isEmpty() && result.outcome() != JobStore.Submission.Outcome.CREATED) {
                store.deleteInputs(jobId, inputs.size());
            }
        } catch (RuntimeException e) {
            LOG.warnf("request %s: cannot queue job: %s", rid, e.getMessage());
            throw new ApiException(
                    ApiError.server(503, "The job queue is unavailable; try again shortly.", "queue_unavailable"), null, e);
        }
        switch (result.outcome()) {
            case CREATED:
                LOG.debugf("request %s: %s job %s queued (%d image(s), %s)", rid, spec.kind(), jobId, spec.n(), sizeLabel);
                return new Submitted(jobId, format, rid, false, thetas);
            case EXISTING:
                if (!idempotency.fingerprint().equals(result.existingFingerprint())) {
                    throw new ApiException(
                            new ApiError(
                                    409,
                                    ApiError.INVALID_REQUEST,
                                    "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                                            + "Try using a key other than '" + idempotencyKey + "' if you meant to execute a different request.",
                                    null,
                                    "idempotency_key_reused"),
                            false,
                            null);
                }
                LOG.debugf("request %s: Idempotency-Key repeats job %s", rid, result.jobId());
                return new Submitted(result.jobId(), format, rid, true, thetas);
            case OWNER_QUEUE_FULL:
                throw queueFull("This API key already has " + config.jobs().maxQueuedPerKey() + " jobs waiting");
            case QUEUE_FULL:
            default:
                throw queueFull("The job queue is full (" + config.jobs().maxQueued() + " jobs waiting)");
        }
    }

    /** A 429 with {@code Retry-After}, so that clients come back later. */
    private ApiException queueFull(String why) {
        return ApiException.retryLater(config.jobs().queueFullRetryAfter(), seconds -> why + "; retry after " + seconds + " s.");
    }

    private JobStore.Idempotency idempotency(String endpoint, byte[] body, String key, String authorization) {
        if (key == null) {
            return null;
        }
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH) {
            throw new ApiException(
                    ApiError.invalidRequest(
                            "The Idempotency-Key header must be 1 to " + MAX_KEY_LENGTH + " characters.", null, "invalid_idempotency_key"));
        }
        String scope = authorization == null ? "" : authorization.trim();
        String scoped = sha256((scope + "\n" + key).getBytes(StandardCharsets.UTF_8));
        MessageDigest digest = digest();
        digest.update((endpoint + "\n").getBytes(StandardCharsets.UTF_8));
        digest.update(body == null ? new byte[0] : body);
        return new JobStore.Idempotency(scoped, HexFormat.of().formatHex(digest.digest()), config.jobs().idempotencyTtl());
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
