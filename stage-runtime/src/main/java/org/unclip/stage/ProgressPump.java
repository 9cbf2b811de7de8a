package org.unclip.stage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.unclip.core.pipeline.ProgressListener;
import org.unclip.core.pipeline.StepProgress;

/**
 * Carries a run's progress from the batching thread to the thread of its call, so that sending
 * events (and encoding previews) never holds up the batch. The call's thread {@link #pump pumps}
 * until the run is over.
 */
public final class ProgressPump implements ProgressListener {

    private static final StepProgress END = new StepProgress("", 0, 0, null);

    private final LinkedBlockingQueue<StepProgress> queue = new LinkedBlockingQueue<>();
    private final boolean keepPredictions;

    /**
     * @param keepPredictions whether the sink needs each step's x0 prediction (for previews);
     *     without it the queued steps do not hold on to image-sized tensors
     */
    public ProgressPump(boolean keepPredictions) {
        this.keepPredictions = keepPredictions;
    }

    @Override
    public void onStep(StepProgress progress) {
        queue.add(keepPredictions
                ? progress
                : new StepProgress(progress.stage(), progress.step(), progress.totalSteps(), null));
    }

    /**
     * Sends every step to {@code sink} until {@code done} completes, then returns its value.
     *
     * @throws java.util.concurrent.CompletionException when {@code done} failed
     * @throws RuntimeException whatever {@code sink} throws (the client went away)
     */
    public <T> T pump(CompletableFuture<T> done, Consumer<StepProgress> sink) throws InterruptedException {
        // the run's steps are queued before its future completes, so END comes after the last one
        done.whenComplete((v, e) -> queue.add(END));
        for (StepProgress p = queue.take(); p != END; p = queue.take()) {
            sink.accept(p);
        }
        return done.join();
    }
}
