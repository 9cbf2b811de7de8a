package org.unclip.stage.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.unclip.core.pipeline.BatchStepper;
import org.unclip.core.pipeline.SteppedRun;

/** The scheduler's admission, batching, capacity, cancellation and failure rules, on counting runs. */
class StepSchedulerTest {

    /** A run of {@code steps} steps of {@code images} images; records the batch sizes it saw. */
    static final class Counting implements SteppedRun {
        final int images;
        final int steps;
        int taken;
        final List<Integer> batches = new ArrayList<>();

        Counting(int images, int steps) {
            this.images = images;
            this.steps = steps;
        }

        @Override
        public boolean done() {
            return taken >= steps;
        }

        @Override
        public int images() {
            return images;
        }
    }

    private final List<Integer> stepSizes = new CopyOnWriteArrayList<>();

    private BatchStepper<Counting> stepper(long sleepMillis) {
        return (runs, failed) -> {
            int images = runs.stream().mapToInt(Counting::images).sum();
            stepSizes.add(images);
            for (Counting r : runs) {
                r.taken++;
                r.batches.add(images);
            }
            sleep(sleepMillis);
        };
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void runsArrivingWithinTheWindowShareTheirFirstStep() throws Exception {
        try (StepScheduler<Counting> s = new StepScheduler<>("t", stepper(0),
                new StepScheduler.Settings(16, Duration.ofMillis(200), 8), StepScheduler.Observer.NONE)) {
            Counting a = new Counting(1, 1);
            Counting b = new Counting(2, 1);
            CompletableFuture<Counting> fa = s.submit(a, () -> false);
            Thread.sleep(20);
            CompletableFuture<Counting> fb = s.submit(b, () -> false);
            assertThat(fa.get(5, TimeUnit.SECONDS)).isSameAs(a);
            assertThat(fb.get(5, TimeUnit.SECONDS)).isSameAs(b);
            assertThat(a.batches).containsExactly(3);
            assertThat(b.batches).containsExactly(3);
        }
    }

    @Test
    void aRunJoinsAtTheNextStepAndLeavesAfterItsOwnLastStep() throws Exception {
        try (StepScheduler<Counting> s = new StepScheduler<>("t", stepper(20),
                new StepScheduler.Settings(16, Duration.ZERO, 8), StepScheduler.Observer.NONE)) {
            Counting longRun = new Counting(1, 30);
            CompletableFuture<Counting> fl = s.submit(longRun, () -> false);
            Thread.sleep(100);
            Counting shortRun = new Counting(2, 3);
            s.submit(shortRun, () -> false).get(5, TimeUnit.SECONDS);
            assertThat(fl).as("the long run is still going").isNotDone();
            assertThat(shortRun.batches).containsExactly(3, 3, 3);
            fl.get(10, TimeUnit.SECONDS);
            assertThat(longRun.batches.get(0)).isEqualTo(1);
            assertThat(longRun.batches).contains(3);
            assertThat(longRun.batches.get(longRun.batches.size() - 1)).isEqualTo(1);
        }
    }

    @Test
    void theBatchNeverHoldsMoreThanItsLimit_andLargeRunsRunAlone() throws Exception {
        try (StepScheduler<Counting> s = new StepScheduler<>("t", stepper(5),
                new StepScheduler.Settings(4, Duration.ofMillis(5), 32), StepScheduler.Observer.NONE)) {
            List<CompletableFuture<Counting>> all = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                all.add(s.submit(new Counting(1 + i % 3, 4), () -> false));
            }
            all.add(s.submit(new Counting(7, 2), () -> false));
            for (CompletableFuture<Counting> f : all) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertThat(stepSizes).allSatisfy(n -> assertThat(n == 7 || n <= 4).as("batch of %d", n).isTrue());
            assertThat(stepSizes).contains(7);
        }
    }

    @Test
    void beyondMaxWaitingCallsAreRefused() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BatchStepper<Counting> blocking = (runs, failed) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            runs.forEach(r -> r.taken++);
        };
        List<Boolean> refused = new CopyOnWriteArrayList<>();
        StepScheduler.Observer observer = new StepScheduler.Observer() {
            @Override
            public void refused() {
                refused.add(true);
            }
        };
        try (StepScheduler<Counting> s = new StepScheduler<>("t", blocking,
                new StepScheduler.Settings(1, Duration.ZERO, 2), observer)) {
            CompletableFuture<Counting> first = s.submit(new Counting(1, 1), () -> false);
            Thread.sleep(100); // first is in the (blocked) batch
            s.submit(new Counting(1, 1), () -> false);
            s.submit(new Counting(1, 1), () -> false);
            assertThat(s.waiting()).isEqualTo(2);
            assertThatThrownBy(() -> s.submit(new Counting(1, 1), () -> false))
                    .isInstanceOf(CapacityExceededException.class)
                    .hasMessageContaining("max-waiting=2");
            assertThat(refused).hasSize(1);
            release.countDown();
            first.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCancelledRunLeaves_andAFailedRunFails_whileTheOthersGoOn() throws Exception {
        AtomicBoolean cancel = new AtomicBoolean();
        Counting failing = new Counting(1, 50);
        BatchStepper<Counting> stepper = (runs, failed) -> {
            for (Counting r : runs) {
                if (r == failing && r.taken == 3) {
                    failed.accept(r, new IllegalStateException("model failed"));
                } else {
                    r.taken++;
                }
            }
            sleep(5);
        };
        try (StepScheduler<Counting> s = new StepScheduler<>("t", stepper,
                new StepScheduler.Settings(16, Duration.ZERO, 8), StepScheduler.Observer.NONE)) {
            Counting cancelled = new Counting(1, 1000);
            Counting survivor = new Counting(1, 40);
            CompletableFuture<Counting> fc = s.submit(cancelled, cancel::get);
            CompletableFuture<Counting> ff = s.submit(failing, () -> false);
            CompletableFuture<Counting> fs = s.submit(survivor, () -> false);
            Thread.sleep(50);
            cancel.set(true);
            assertThatThrownBy(() -> fc.get(5, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
            assertThatThrownBy(() -> ff.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("model failed");
            assertThat(fs.get(5, TimeUnit.SECONDS).taken).isEqualTo(40);
            assertThat(cancelled.taken).isLessThan(1000);
        }
    }

    @Test
    void closingFailsWhatIsLeft() throws Exception {
        StepScheduler<Counting> s = new StepScheduler<>("t", stepper(10),
                new StepScheduler.Settings(16, Duration.ZERO, 8), StepScheduler.Observer.NONE);
        CompletableFuture<Counting> f = s.submit(new Counting(1, 100_000), () -> false);
        Thread.sleep(50);
        s.close();
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        assertThatThrownBy(() -> s.submit(new Counting(1, 1), () -> false)).isInstanceOf(IllegalStateException.class);
    }
}
