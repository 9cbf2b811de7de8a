package org.unclip.stage.batch;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;
import org.unclip.core.pipeline.BatchStepper;
import org.unclip.core.pipeline.SteppedRun;

/**
 * Step-level (continuous) batching: one thread steps every admitted run of a pipeline together, a
 * batched model call per network and step. A new run joins at the next step boundary and leaves
 * after its own last step, so a short request does not wait for a long one, and each run keeps its
 * own timesteps, step count, guidance and noise.
 *
 * <ul>
 *   <li>A run joins while the batch holds fewer than {@code maxBatchSize} images (a run larger than
 *       that joins an empty batch alone); others wait, first come first served.
 *   <li>When the batch is empty, the first run waits up to {@code window} for others to join it:
 *       for one-step runs (the text encoder) this is plain dynamic batching.
 *   <li>At most {@code maxWaiting} runs wait; beyond that {@link #submit} refuses with
 *       {@link CapacityExceededException}, which a stage answers RESOURCE_EXHAUSTED.
 *   <li>Before each step every run's {@code cancelled} is checked: a cancelled run leaves the batch
 *       (its future fails with {@link CancellationException}); the others go on.
 * </ul>
 */
public final class StepScheduler<R extends SteppedRun> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(StepScheduler.class);

    /** How a scheduler batches: the three limits an operator sets per stage. */
    public record Settings(int maxBatchSize, Duration window, int maxWaiting) {
        public Settings {
            if (maxBatchSize < 1 || maxWaiting < 0 || window.isNegative()) {
                throw new IllegalArgumentException("batching needs max-batch-size >= 1, max-waiting >= 0 and a "
                        + "window >= 0, got " + maxBatchSize + ", " + maxWaiting + ", " + window);
            }
        }
    }

    /** Told of each step and of each refused run (metrics). */
    public interface Observer {
        Observer NONE = new Observer() {};

        default void stepped(int images, long nanos) {}

        default void refused() {}
    }

    private final String name;
    private final BatchStepper<R> stepper;
    private final Settings settings;
    private final Observer observer;
    private final Object lock = new Object();
    private final Deque<Entry<R>> waiting = new ArrayDeque<>();
    private final List<Entry<R>> active = new ArrayList<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile int activeCount;

    private record Entry<R>(R run, BooleanSupplier cancelled, CompletableFuture<R> done, long arrived) {}

    public StepScheduler(String name, BatchStepper<R> stepper, Settings settings, Observer observer) {
        this.name = name;
        this.stepper = stepper;
        this.settings = settings;
        this.observer = observer;
        this.thread = new Thread(this::loop, "unclip-" + name + "-batch");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues a run; the future completes with it once it is done, or fails with the step's error
     * or a {@link CancellationException}.
     *
     * @throws CapacityExceededException when {@code maxWaiting} runs already wait
     */
    public CompletableFuture<R> submit(R run, BooleanSupplier cancelled) {
        CompletableFuture<R> done = new CompletableFuture<>();
        if (run.done()) {
            done.complete(run);
            return done;
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException(name + " is stopped");
            }
            if (waiting.size() >= settings.maxWaiting()) {
                observer.refused();
                throw new CapacityExceededException(name + " is at capacity: " + activeCount + " run(s) in the batch and "
                        + waiting.size() + " waiting (unclip.batching.max-waiting=" + settings.maxWaiting() + ")");
            }
            waiting.add(new Entry<>(run, cancelled, done, System.nanoTime()));
            lock.notifyAll();
        }
        return done;
    }

    /** Runs waiting to join the batch. */
    public int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /** Runs in the batch. */
    public int active() {
        return activeCount;
    }

    public Settings settings() {
        return settings;
    }

    private void loop() {
        while (!closed) {
            try {
                if (!admit()) {
                    continue;
                }
                dropCancelled();
                if (active.isEmpty()) {
                    continue;
                }
                stepOnce();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                LOG.errorf(e, "%s batch loop failed; failing its %d run(s)", name, active.size());
                for (Entry<R> entry : active) {
                    entry.done().completeExceptionally(e);
                }
                active.clear();
                activeCount = 0;
            }
        }
        failAll(new CancellationException(name + " stopped"));
    }

    /** Moves waiting runs into the batch; false when nothing is to be stepped yet. */
    private boolean admit() throws InterruptedException {
        synchronized (lock) {
            while (active.isEmpty() && waiting.isEmpty() && !closed) {
                lock.wait();
            }
            if (closed) {
                return false;
            }
            if (active.isEmpty() && !settings.window().isZero()) {
                // an empty batch: give others a moment to join the first run
                long until = waiting.peekFirst().arrived() + settings.window().toNanos();
                while (!closed && imagesWaiting() < settings.maxBatchSize()) {
                    long left = until - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    lock.wait(Math.max(1, left / 1_000_000));
                }
            }
            int images = 0;
            for (Entry<R> e : active) {
                images += e.run().images();
            }
            while (!waiting.isEmpty()) {
                Entry<R> next = waiting.peekFirst();
                if (!active.isEmpty() && images + next.run().images() > settings.maxBatchSize()) {
                    break;
                }
                waiting.pollFirst();
                active.add(next);
                images += next.run().images();
            }
            activeCount = active.size();
            return true;
        }
    }

    private int imagesWaiting() {
        int images = 0;
        for (Entry<R> e : waiting) {
            images += e.run().images();
        }
        return images;
    }

    private void dropCancelled() {
        active.removeIf(entry -> {
            boolean cancelled;
            try {
                cancelled = entry.done().isDone() || entry.cancelled().getAsBoolean();
            } catch (RuntimeException e) {
                cancelled = true;
            }
            if (cancelled) {
                entry.done().completeExceptionally(new CancellationException(name + " run cancelled"));
            }
            return cancelled;
        });
        activeCount = active.size();
    }

    private void stepOnce() {
        List<R> runs = new ArrayList<>(active.size());
        int images = 0;
        for (Entry<R> entry : active) {
            runs.add(entry.run());
            images += entry.run().images();
        }
        long start = System.nanoTime();
        Map<R, RuntimeException> failures = new IdentityHashMap<>();
        stepper.step(runs, failures::put);
        observer.stepped(images, System.nanoTime() - start);
        active.removeIf(entry -> {
            RuntimeException failure = failures.get(entry.run());
            if (failure != null) {
                entry.done().completeExceptionally(failure);
                return true;
            }
            if (entry.run().done()) {
                entry.done().complete(entry.run());
                return true;
            }
            return false;
        });
        activeCount = active.size();
    }

    private void failAll(RuntimeException reason) {
        List<Entry<R>> left = new ArrayList<>(active);
        synchronized (lock) {
            left.addAll(waiting);
            waiting.clear();
        }
        active.clear();
        activeCount = 0;
        left.forEach(e -> e.done().completeExceptionally(reason));
    }

    /** Stops the thread; runs still waiting or in the batch fail with a {@link CancellationException}. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warnf("%s batch thread still stepping after 30 s", name);
        }
    }
}
