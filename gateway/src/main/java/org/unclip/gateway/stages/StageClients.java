package org.unclip.gateway.stages;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
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

/**
 * Calls to the three stages, each with its own deadline, retried with exponential back-off while
 * the stage answers UNAVAILABLE. Every other failure ends the call with a {@link StageException}.
 *
 * <p>A retried streaming call starts over; the stages are deterministic for given seeds, so the
 * result is the same, and progress simply restarts.
 */
@ApplicationScoped
public class StageClients {

    public static final String TEXT_ENCODER = "text-encoder";
    public static final String PRIOR = "prior";
    public static final String DECODER = "decoder";
    /** The text-encoder service's EncodeImage, as errors and progress name it (variations). */
    public static final String IMAGE_ENCODER = "image-encoder";

    private static final Logger LOG = Logger.getLogger(StageClients.class);

    private final TextEncoderServiceGrpc.TextEncoderServiceBlockingStub textEncoder;
    private final PriorServiceGrpc.PriorServiceBlockingStub prior;
    private final DecoderServiceGrpc.DecoderServiceBlockingStub decoder;
    private final GatewayConfig.Stages config;

    @Inject
    public StageClients(
            @GrpcClient(TEXT_ENCODER) TextEncoderServiceGrpc.TextEncoderServiceBlockingStub textEncoder,
            @GrpcClient(PRIOR) PriorServiceGrpc.PriorServiceBlockingStub prior,
            @GrpcClient(DECODER) DecoderServiceGrpc.DecoderServiceBlockingStub decoder,
            GatewayConfig config) {
        this.textEncoder = textEncoder;
        this.prior = prior;
        this.decoder = decoder;
        this.config = config.stages();
        if (this.config.maxAttempts() < 1) {
            throw new IllegalArgumentException("unclip.stages.max-attempts must be >= 1");
        }
    }

    /** EncodeText, unary. */
    public EncodeTextResponse encodeText(EncodeTextRequest request) {
        Duration deadline = config.textEncoderDeadline();
        return withRetry(
                TEXT_ENCODER,
                () -> textEncoder.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).encodeText(request));
    }

    /** EncodeImage, unary (same service and deadline as EncodeText). */
    public org.unclip.api.v1.EncodeImageResponse encodeImage(org.unclip.api.v1.EncodeImageRequest request) {
        Duration deadline = config.textEncoderDeadline();
        return withRetry(
                IMAGE_ENCODER,
                () -> textEncoder.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).encodeImage(request));
    }

    /** GenerateEmbeddings, server streaming: progress events, then one result. */
    public PriorResult generateEmbeddings(PriorRequest request, ProgressListener listener) {
        Duration deadline = config.priorDeadline();
        return withRetry(PRIOR, () -> inCancellableContext(() -> lastResult(
                prior.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).generateEmbeddings(request),
                PriorEvent::hasProgress, PriorEvent::getProgress, PriorEvent::hasResult, PriorEvent::getResult,
                progress -> report(listener, PRIOR, progress))));
    }

    /** GenerateImages, server streaming: progress events, then one result. */
    public DecoderResult generateImages(DecoderRequest request, ProgressListener listener) {
        Duration deadline = config.decoderDeadline();
        return withRetry(DECODER, () -> inCancellableContext(() -> lastResult(
                decoder.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).generateImages(request),
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

    private <T> T withRetry(String stage, Supplier<T> call) {
        long backoffMillis = config.retryBackoff().toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                Status status = e.getStatus();
                if (status.getCode() != Status.Code.UNAVAILABLE || attempt >= config.maxAttempts()) {
                    throw new StageException(stage, status, attempt, e);
                }
                LOG.warnf(
                        "%s stage unavailable (attempt %d of %d, retrying in %d ms): %s",
                        stage, attempt, config.maxAttempts(), backoffMillis, status.getDescription());
                sleep(backoffMillis, stage, status, attempt);
                backoffMillis = Math.min(backoffMillis * 2, 30_000);
            }
        }
    }

    private static void sleep(long millis, String stage, Status status, int attempt) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new StageException(
                    stage, Status.CANCELLED.withDescription("interrupted while waiting to retry"), attempt, interrupted);
        }
    }
}
