package org.unclip.stage;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jboss.logging.Logger;
import org.unclip.core.onnx.OnnxModelException;
import org.unclip.core.pipeline.NonFiniteOutputException;
import org.unclip.stage.batch.CapacityExceededException;

/**
 * How a stage call that did not succeed ends, the same in every stage:
 *
 * <ul>
 *   <li>{@link InvalidRequestException}: INVALID_ARGUMENT with its message (the client's mistake);
 *   <li>{@link CapacityExceededException}: RESOURCE_EXHAUSTED (the gateway waits or tries another replica);
 *   <li>{@link CancellationException}: CANCELLED, or UNAVAILABLE when the shutdown drain stopped it
 *       (the gateway retries it elsewhere);
 *   <li>a model's non-finite output or runtime failure: INTERNAL with its message;
 *   <li>a {@link StatusRuntimeException}: the stream was closed under us, nothing left to send;
 *   <li>anything else: INTERNAL.
 * </ul>
 */
public final class StageFailures {

    private static final Logger LOG = Logger.getLogger(StageFailures.class);

    private StageFailures() {}

    /**
     * Ends {@code response} as {@code failure} calls for and logs it.
     *
     * @param what the call, as logs name it ("decoder request 42")
     * @param progress how far it got ("decoder step 3/50"), for the log
     * @return the outcome label of the call's metrics
     */
    public static String fail(StreamObserver<?> response, Throwable failure, String what, String progress,
            ShutdownDrain drain) {
        Throwable e = unwrap(failure);
        if (e instanceof InvalidRequestException) {
            send(response, Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            return "invalid_argument";
        }
        if (e instanceof CapacityExceededException) {
            LOG.infof("%s refused: %s", what, e.getMessage());
            send(response, Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()));
            return "resource_exhausted";
        }
        if (e instanceof CancellationException) {
            if (drain.abandoned()) {
                LOG.warnf("%s stopped by the shutdown after %s", what, progress);
                send(response, ShutdownDrain.abandonedStatus());
                return "unavailable";
            }
            LOG.infof("%s cancelled by the client after %s", what, progress);
            send(response, Status.CANCELLED.withDescription("cancelled by the client"));
            return "cancelled";
        }
        if (e instanceof StatusRuntimeException s) {
            LOG.infof("%s cancelled by the client after %s (%s)", what, progress, s.getStatus());
            return "cancelled";
        }
        if (e instanceof NonFiniteOutputException || e instanceof OnnxModelException) {
            LOG.errorf("%s failed: %s", what, e.getMessage());
            send(response, Status.INTERNAL.withDescription(e.getMessage()));
            return "internal";
        }
        LOG.errorf(e, "%s failed", what);
        send(response, Status.INTERNAL.withDescription(what.split(" ")[0] + " failed: " + e));
        return "internal";
    }

    /** The failure inside a future's wrapper. */
    public static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static void send(StreamObserver<?> response, Status status) {
        try {
            response.onError(status.asRuntimeException());
        } catch (RuntimeException closed) {
            LOG.debugf("could not send %s: %s", status.getCode(), closed.getMessage());
        }
    }
}
