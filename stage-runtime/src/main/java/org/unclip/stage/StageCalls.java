package org.unclip.stage;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import org.unclip.core.pipeline.ProgressListener;
import org.unclip.core.pipeline.StepProgress;
import org.unclip.core.pipeline.SteppedRun;
import org.unclip.stage.batch.StepScheduler;
import org.unclip.stage.metrics.StageMetrics;

/**
 * One stage call whose work is a run stepped in the stage's batch, the same in every stage: the
 * run is started on the call's thread, handed to the scheduler (it stops when the client cancels
 * or the shutdown drain gives up on it), its progress is sent from the call's thread, and however
 * it ends the call is answered ({@link StageFailures}) and timed ({@link StageMetrics#call}).
 */
@ApplicationScoped
public class StageCalls {

    private final ShutdownDrain drain;
    private final StageMetrics metrics;

    public StageCalls(ShutdownDrain drain, StageMetrics metrics) {
        this.drain = drain;
        this.metrics = metrics;
    }

    /** Answers a request the stage refused before starting it: INVALID_ARGUMENT. */
    public void invalid(StreamObserver<?> response, String method, InvalidRequestException e, long startNanos) {
        response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        metrics.call(method, "invalid_argument", startNanos);
    }

    /**
     * Runs the call.
     *
     * @param method the gRPC method, for metrics
     * @param what the call, as logs name it ("decoder request 42")
     * @param keepPredictions whether {@code onStep} needs each step's x0 prediction (previews)
     * @param start makes the run, reporting its steps to the listener it is given
     * @param onStep sends one step's progress, on the call's thread
     * @param onDone sends the finished run's result and completes the call, on the call's thread
     */
    public <R extends SteppedRun> void serve(String method, String what, long startNanos, StreamObserver<?> response,
            StepScheduler<R> scheduler, boolean keepPredictions, Function<ProgressListener, R> start,
            Consumer<StepProgress> onStep, Consumer<R> onDone) {
        Context call = Context.current();
        StepProgress[] last = {null};
        String outcome = "ok";
        try {
            ProgressPump pump = new ProgressPump(keepPredictions);
            CompletableFuture<R> done =
                    scheduler.submit(start.apply(pump), () -> call.isCancelled() || drain.abandoned());
            onDone.accept(pump.pump(done, p -> {
                last[0] = p;
                onStep.accept(p);
            }));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = StageFailures.fail(response, new CancellationException("interrupted"), what, describe(last[0]),
                    drain);
        } catch (RuntimeException e) {
            outcome = StageFailures.fail(response, e, what, describe(last[0]), drain);
        }
        metrics.call(method, outcome, startNanos);
    }

    private static String describe(StepProgress p) {
        return p == null ? "no steps" : p.stage() + " step " + p.step() + "/" + p.totalSteps();
    }
}
