package org.unclip.stage.batch;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads a stage's batched step runs its model calls on ({@code unclip.batching.lanes} of
 * them, daemon threads named {@code unclip-<stage>-lane-<n>}). Close on shutdown.
 */
public final class LanePool implements AutoCloseable {

    private final int lanes;
    private final ExecutorService threads;

    public LanePool(String stage, int lanes) {
        if (lanes < 1) {
            throw new IllegalArgumentException("unclip.batching.lanes must be >= 1, got " + lanes);
        }
        this.lanes = lanes;
        AtomicInteger count = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(lanes, r -> {
            Thread t = new Thread(r, "unclip-" + stage + "-lane-" + count.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    public int lanes() {
        return lanes;
    }

    /**
     * Model calls a step may be cut into per network: twice the lanes, since the per-row cost hardly
     * depends on the batch and smaller parts, longest first, let the lanes end each step together.
     */
    public int parts() {
        return lanes == 1 ? 1 : 2 * lanes;
    }

    public Executor executor() {
        return lanes == 1 ? Runnable::run : threads;
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
