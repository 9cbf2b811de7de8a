package org.unclip.gateway.stages;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jboss.logging.Logger;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.EncodeTextResponse;
import org.unclip.api.v1.PriorEvent;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorResult;
import org.unclip.api.v1.PriorServiceGrpc;
import org.unclip.api.v1.Progress;
import org.unclip.api.v1.TextEncoderServiceGrpc;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.jobs.JobMetrics;

/**
 * Calls to the three stages, each with its own deadline, retried with exponential back-off while
 * the stage answers UNAVAILABLE (at least {@code max-attempts} tries, and until {@code
 * unavailable-retry-for} has passed, so a stage that restarts within it costs only the wait) or
 * RESOURCE_EXHAUSTED (the
 * stage is at capacity: tried again, on whichever replica the balancer picks, until the stage's
 * deadline has passed). Every other failure ends the call with a {@link StageException}.
 *
 * <p>At most {@code unclip.stages.<stage>-max-in-flight} calls go to each stage at once; a job
 * waits for a free slot (and stops waiting when it is cancelled).
 *
 * <p>A retried streaming call starts over; the stages are deterministic for given seeds, so the
 * result is the same, and progress simply restarts.
 *
 * <p>Calls made for a job ({@link FamilyPin} in the context) are pinned to one model family: the
 * first answer that names its family fixes it, every later call sends it as the family expected,
 * and a replica serving another answers FAILED_PRECONDITION at once; such a call is tried again
 * straight away (the balancer picks the next replica), up to {@code family-mismatch-attempts}
 * tries, then fails with {@link FamilyMismatchException}.
 */
@ApplicationScoped
public class StageClients {

    public static final String TEXT_ENCODER = "text-encoder";
    public static final String PRIOR = "prior";
    public static final String DECODER = "decoder";
    /** The text-encoder service's EncodeImage, as errors and progress name it (variations). */
    public static final String IMAGE_ENCODER = "image-encoder";

    /** The outcome label of a try refused for its model family, in the stage-call metrics. */
    static final String MISMATCH_OUTCOME = "family_mismatch";

    private static final Logger LOG = Logger.getLogger(StageClients.class);

    private final TextEncoderServiceGrpc.TextEncoderServiceBlockingStub textEncoder;
    private final PriorServiceGrpc.PriorServiceBlockingStub prior;
    private final DecoderServiceGrpc.DecoderServiceBlockingStub decoder;
    private final GatewayConfig.Stages config;
    private final JobMetrics metrics;
    private final Map<String, Semaphore> slots = new HashMap<>();

    @Inject
    public StageClients(
            @GrpcClient(TEXT_ENCODER) TextEncoderServiceGrpc.TextEncoderServiceBlockingStub textEncoder,
            @GrpcClient(PRIOR) PriorServiceGrpc.PriorServiceBlockingStub prior,
            @GrpcClient(DECODER) DecoderServiceGrpc.DecoderServiceBlockingStub decoder,
            GatewayConfig config,
            JobMetrics metrics) {
        this.textEncoder = textEncoder;
        this.metrics = metrics;
        this.prior = prior;
        this.decoder = decoder;
        this.config = config.stages();
        if (this.config.maxAttempts() < 1) {
            throw new IllegalArgumentException("unclip.stages.max-attempts must be >= 1");
        }
        if (this.config.familyMismatchAttempts() < 1) {
            throw new IllegalArgumentException("unclip.stages.family-mismatch-attempts must be >= 1");
        }
        slots.put(TEXT_ENCODER, semaphore("text-encoder", this.config.textEncoderMaxInFlight()));
        slots.put(IMAGE_ENCODER, slots.get(TEXT_ENCODER)); // the same service
        slots.put(PRIOR, semaphore("prior", this.config.priorMaxInFlight()));
        slots.put(DECODER, semaphore("decoder", this.config.decoderMaxInFlight()));
    }

    private static Semaphore semaphore(String stage, int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("unclip.stages." + stage + "-max-in-flight must be >= 1, got " + permits);
        }
        return new Semaphore(permits, true);
    }

    /** EncodeText, unary. */
    public EncodeTextResponse encodeText(EncodeTextRequest request) {
        Duration deadline = config.textEncoderDeadline();
        return withRetry(
                TEXT_ENCODER, deadline,
                family -> textEncoder.withInterceptors(family).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                        .encodeText(request));
    }

    /** EncodeImage, unary (same service and deadline as EncodeText). */
    public org.unclip.api.v1.EncodeImageResponse encodeImage(org.unclip.api.v1.EncodeImageRequest request) {
        Duration deadline = config.textEncoderDeadline();
        return withRetry(
                IMAGE_ENCODER, deadline,
                family -> textEncoder.withInterceptors(family).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                        .encodeImage(request));
    }

    /** GenerateEmbeddings, server streaming: progress events, then one result. */
    public PriorResult generateEmbeddings(PriorRequest request, ProgressListener listener) {
        Duration deadline = config.priorDeadline();
        return withRetry(PRIOR, deadline, family -> inCancellableContext(() -> lastResult(
                prior.withInterceptors(family).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).generateEmbeddings(request),
                PriorEvent::hasProgress, PriorEvent::getProgress, PriorEvent::hasResult, PriorEvent::getResult,
                progress -> report(listener, PRIOR, progress))));
    }

    /** GenerateImages, server streaming: progress events, then one result. */
    public DecoderResult generateImages(DecoderRequest request, ProgressListener listener) {
        Duration deadline = config.decoderDeadline();
        return withRetry(DECODER, deadline, family -> inCancellableContext(() -> lastResult(
                decoder.withInterceptors(family).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).generateImages(request),
                DecoderEvent::hasProgress, DecoderEvent::getProgress, DecoderEvent::hasResult, DecoderEvent::getResult,
                progress -> report(listener, DECODER, progress))));
    }

    /**
     * Drains a stage's event stream: every progress event goes to {@code onProgress}, the result
     * is returned; a stream that ends without one is an INTERNAL error.
     */
    private static <E, R> R lastResult(Iterator<E> events, Predicate<E> isProgress, Function<E, Progress> progress,
            Predicate<E> isResult, Function<E, R> result, Consumer<Progress> onProgress) {
        R last = null;
        while (events.hasNext()) {
            E event = events.next();
            if (isProgress.test(event)) {
                onProgress.accept(progress.apply(event));
            } else if (isResult.test(event)) {
                last = result.apply(event);
            }
        }
        if (last == null) {
            throw Status.INTERNAL.withDescription("the stream ended without a result").asRuntimeException();
        }
        return last;
    }

    private static void report(ProgressListener listener, String defaultStage, Progress progress) {
        String stage = progress.getStage().isBlank() ? defaultStage : progress.getStage();
        listener.onProgress(stage, progress.getStep(), progress.getTotalSteps());
        if (!progress.getPreviewPng().isEmpty()) {
            listener.onPreview(stage, progress.getStep(), progress.getTotalSteps(), progress.getPreviewPng());
        }
    }

    /**
     * Runs a streaming call in a context that is cancelled when the block returns or throws, so an
     * abandoned stream does not keep the stage busy until its deadline.
     */
    private static <T> T inCancellableContext(Supplier<T> call) {
        Context.CancellableContext context = Context.current().withCancellation();
        try {
            return context.call(call::get);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            context.cancel(null);
        }
    }

    private <T> T withRetry(String stage, Duration deadline, Function<FamilyExchange, T> call) {
        long begin = System.nanoTime();
        String outcome = "error";
        Semaphore slot = slots.get(stage);
        acquire(slot, stage);
        FamilyPin pin = FamilyPin.current().orElse(null);
        try {
            long backoffMillis = config.retryBackoff().toMillis();
            long busyMillis = Math.max(1, config.retryBackoff().toMillis());
            int unavailable = 0;
            int mismatches = 0;
            for (int attempt = 1; ; attempt++) {
                FamilyExchange family = new FamilyExchange(pin);
                try {
                    T result = call.apply(family);
                    StageFamily other = family.settle();
                    if (other == null) {
                        outcome = "ok";
                        return result;
                    }
                    // another call of the job pinned a family while this one ran: its answer is unusable
                    outcome = MISMATCH_OUTCOME;
                    mismatch(stage, pin, other, ++mismatches, attempt, null);
                } catch (StatusRuntimeException e) {
                    Status status = e.getStatus();
                    outcome = status.getCode().name().toLowerCase(java.util.Locale.ROOT);
                    StageFamily other = family.refusedBy(status);
                    if (other != null) {
                        outcome = MISMATCH_OUTCOME;
                        mismatch(stage, pin, other, ++mismatches, attempt, e);
                        continue;
                    }
                    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED
                            && System.nanoTime() - begin + busyMillis * 1_000_000 < deadline.toNanos()) {
                        LOG.debugf("%s stage at capacity (attempt %d, retrying in %d ms): %s",
                                stage, attempt, busyMillis, status.getDescription());
                        sleep(busyMillis, stage, status, attempt);
                        busyMillis = Math.min(busyMillis * 2, Math.max(1, config.busyBackoffMax().toMillis()));
                        continue;
                    }
                    if (Context.current().isCancelled()) {
                        throw new StageException(stage, Status.CANCELLED.withDescription("the job's calls were stopped"), attempt, e);
                    }
                    long elapsed = System.nanoTime() - begin;
                    // each try has the stage's deadline; the tries of an unavailable stage, this budget
                    boolean retry = status.getCode() == Status.Code.UNAVAILABLE
                            && (++unavailable < config.maxAttempts()
                                    || elapsed + backoffMillis * 1_000_000 < config.unavailableRetryFor().toNanos());
                    if (!retry) {
                        throw new StageException(stage, status, attempt, e);
                    }
                    reconnectNow(stage);
                    LOG.warnf(
                            "%s stage unavailable (attempt %d, retrying in %d ms for up to %s): %s",
                            stage, unavailable, backoffMillis, config.unavailableRetryFor(), status.getDescription());
                    sleep(backoffMillis, stage, status, attempt);
                    backoffMillis = Math.min(backoffMillis * 2, 2_000);
                }
            }
        } finally {
            slot.release();
            metrics.stageCall(stage, outcome, System.nanoTime() - begin);
        }
    }

    /**
     * A try answered by a replica of another family: throws once {@code mismatches} has reached
     * {@code family-mismatch-attempts}, else the call is tried again at once.
     */
    private void mismatch(String stage, FamilyPin pin, StageFamily served, int mismatches, int attempt,
            Throwable cause) {
        StageFamily pinned = pin.family().orElseThrow();
        if (mismatches >= config.familyMismatchAttempts()) {
            throw new FamilyMismatchException(stage, pinned, served, attempt, cause);
        }
        LOG.debugf("a %s replica serves model family %s, the job is pinned to %s (try %d); trying another replica",
                stage, served, pinned, attempt);
    }

    /**
     * Lets the stage's channel try to connect again at once instead of after its own back-off (which
     * grows to minutes), so a replica that has come back is used by the next try.
     */
    private void reconnectNow(String stage) {
        io.grpc.Channel channel = switch (stage) {
            case TEXT_ENCODER, IMAGE_ENCODER -> textEncoder.getChannel();
            case PRIOR -> prior.getChannel();
            default -> decoder.getChannel();
        };
        if (channel instanceof io.grpc.ManagedChannel managed) {
            managed.resetConnectBackoff();
        }
    }

    /**
     * The family side of one try of a call: sends the pinned family as the expected one, and reads
     * the family the replica names in its answer.
     */
    static final class FamilyExchange implements ClientInterceptor {
        private final FamilyPin pin;
        private final StageFamily expected;
        private final AtomicReference<Metadata> headers = new AtomicReference<>();
        private final AtomicReference<Metadata> trailers = new AtomicReference<>();
        private final ClientInterceptor capture = MetadataUtils.newCaptureMetadataInterceptor(headers, trailers);

        FamilyExchange(FamilyPin pin) {
            this.pin = pin;
            this.expected = pin == null ? null : pin.family().orElse(null);
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            Channel channel = expected == null
                    ? next
                    : ClientInterceptors.intercept(next, MetadataUtils.newAttachHeadersInterceptor(expected.expectation()));
            return capture.interceptCall(method, options, channel);
        }

        /** The family the replica named, if it named one. */
        Optional<StageFamily> served() {
            return StageFamily.named(headers.get(), trailers.get());
        }

        /**
         * After a successful try: pins the job to the family that answered, if not pinned yet.
         *
         * @return null when the answer is usable (its family is the pinned one, or it named none),
         *     else the other family it came from
         */
        StageFamily settle() {
            StageFamily served = served().orElse(null);
            if (pin == null || served == null) {
                return null;
            }
            StageFamily pinned = pin.pin(served);
            return pinned.equals(served) ? null : served;
        }

        /** The family of a replica that refused the try because the job is pinned to another, else null. */
        StageFamily refusedBy(Status status) {
            if (pin == null || status.getCode() != Status.Code.FAILED_PRECONDITION) {
                return null;
            }
            StageFamily served = served().orElse(null);
            StageFamily pinned = pin.family().orElse(null);
            return served != null && pinned != null && !served.equals(pinned) ? served : null;
        }
    }

    /** Waits for a free call slot of {@code stage}; gives up when the job is cancelled. */
    private static void acquire(Semaphore slot, String stage) {
        Context context = Context.current();
        try {
            while (!slot.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                if (context.isCancelled()) {
                    throw new StageException(stage,
                            Status.CANCELLED.withDescription("cancelled while waiting for a free call slot"), 0, null);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StageException(stage, Status.CANCELLED.withDescription("interrupted while waiting for a "
                    + "free call slot"), 0, e);
        }
    }

    /** Sleeps before a retry, in short slices, and stops when the job is cancelled. */
    private static void sleep(long millis, String stage, Status status, int attempt) {
        Context context = Context.current();
        long end = System.nanoTime() + millis * 1_000_000;
        try {
            for (long left = millis; left > 0; left = (end - System.nanoTime()) / 1_000_000) {
                if (context.isCancelled()) {
                    throw new StageException(stage,
                            Status.CANCELLED.withDescription("cancelled while waiting to retry"), attempt, null);
                }
                Thread.sleep(Math.min(left, 50));
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new StageException(
                    stage, Status.CANCELLED.withDescription("interrupted while waiting to retry"), attempt, interrupted);
        }
    }
}
