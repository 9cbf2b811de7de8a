package org.unclip.core.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.unclip.core.tensor.Tensor;

/**
 * How one step of several runs becomes model calls run side by side: the runs that need the same
 * network share its call, and each network's rows are cut into up to {@code parts} pieces of about
 * equal rows, one model call each. A cut may fall inside a run (the two rows of one guided image go
 * to two calls), so that even a single image keeps every lane busy; such a run advances once all
 * its rows are back. On a CPU, two one-thread calls side by side use two cores better than one
 * two-thread call on the small tensors of a diffusion step. A run's result does not depend on how
 * its rows were cut.
 *
 * <p>Parts run longest first (by what each network took per row last time), so the lanes end the
 * step at about the same time. A failed call fails every run with rows in it; a run whose own
 * sampler step fails fails alone.
 *
 * @param <R> the pipeline's run type
 */
final class Lanes<R extends PipelineRun<?>> {

    /** Rows {@code [from, to)} of a run's next model call. */
    record Slice<R extends PipelineRun<?>>(R run, int from, int to) {

        int rows() {
            return to - from;
        }

        boolean whole() {
            return from == 0 && to == run.modelRows();
        }
    }

    /**
     * The model call of one part: its stacked input, a timestep per row, whose rows they are, and
     * whether it is the step's only call (nothing runs beside it).
     */
    @FunctionalInterface
    interface Call<R extends PipelineRun<?>> {
        Tensor predict(String network, Tensor input, long[] timesteps, List<Slice<R>> slices, boolean alone);
    }

    private final Function<R, String> network;
    private final Call<R> call;
    /** What a part of each network took last time per model row (an average), for the ordering. */
    private final Map<String, Double> nanosPerRow = new ConcurrentHashMap<>();

    Lanes(Function<R, String> network, Call<R> call) {
        this.network = network;
        this.call = call;
    }

    /**
     * Advances every run that is not done by one step.
     *
     * @param parts how many model calls each network's rows may be cut into
     * @param failed told of each run that failed, on this thread, after every part has finished
     */
    void step(List<R> runs, BiConsumer<R, RuntimeException> failed, Executor executor, int parts) {
        Map<R, RuntimeException> failures = new ConcurrentHashMap<>();
        Map<R, Tensor> inputs = new IdentityHashMap<>();
        Map<String, List<R>> byNetwork = new LinkedHashMap<>();
        for (R run : runs) {
            if (run.done()) {
                continue;
            }
            try {
                inputs.put(run, run.modelInput());
                byNetwork.computeIfAbsent(network.apply(run), k -> new ArrayList<>()).add(run);
            } catch (RuntimeException e) {
                failures.put(run, e);
            }
        }
        List<Part> all = new ArrayList<>();
        for (Map.Entry<String, List<R>> group : byNetwork.entrySet()) {
            all.addAll(cut(group.getKey(), group.getValue(), Math.max(1, parts), inputs, failures));
        }
        all.sort(Comparator.comparingDouble(Part::estimatedNanos).reversed());
        if (all.size() == 1) {
            all.get(0).run(true);
        } else if (!all.isEmpty()) {
            CompletableFuture<?>[] running = new CompletableFuture<?>[all.size()];
            for (int i = 0; i < running.length; i++) {
                Part part = all.get(i);
                running[i] = CompletableFuture.runAsync(() -> part.run(false), executor);
            }
            CompletableFuture.allOf(running).join();
        }
        for (R run : runs) {
            RuntimeException e = failures.get(run);
            if (e != null) {
                failed.accept(run, e);
            }
        }
    }

    /** Cuts a network's rows into at most {@code parts} consecutive pieces of about equal rows. */
    private List<Part> cut(String net, List<R> group, int parts, Map<R, Tensor> inputs,
            Map<R, RuntimeException> failures) {
        int rows = PipelineRun.rows(group);
        int pieces = Math.min(parts, rows);
        List<List<Slice<R>>> cuts = new ArrayList<>(pieces);
        Map<R, Gather> gathers = new IdentityHashMap<>();
        int runIndex = 0;
        int offset = 0; // rows of group.get(runIndex) already placed
        for (int p = 0; p < pieces; p++) {
            int want = rows / pieces + (p < rows % pieces ? 1 : 0);
            List<Slice<R>> slices = new ArrayList<>();
            while (want > 0) {
                R run = group.get(runIndex);
                int take = Math.min(want, run.modelRows() - offset);
                slices.add(new Slice<>(run, offset, offset + take));
                if (take < run.modelRows()) {
                    gathers.computeIfAbsent(run, r -> new Gather()).pending.incrementAndGet();
                }
                want -= take;
                offset += take;
                if (offset == run.modelRows()) {
                    runIndex++;
                    offset = 0;
                }
            }
            cuts.add(slices);
        }
        List<Part> out = new ArrayList<>(pieces);
        for (List<Slice<R>> slices : cuts) {
            out.add(new Part(net, slices, inputs, gathers, failures));
        }
        return out;
    }

    /** The output rows of a run cut across parts, as they come back; the last part to deliver advances it. */
    private static final class Gather {
        final AtomicInteger pending = new AtomicInteger();
        private float[] data;
        private long[] shape;

        synchronized void put(Tensor out, int at, Slice<?> slice) {
            int runRows = slice.run().modelRows();
            if (data == null) {
                shape = out.shape();
                shape[0] = runRows;
                data = new float[runRows * out.rowSize()];
            } else if (!Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), out.rowShape())) {
                throw new IllegalStateException("parts of one run came back as " + Arrays.toString(shape)
                        + " and " + out);
            }
            int n = out.rowSize();
            out.view().get(at * n, data, slice.from() * n, slice.rows() * n);
        }

        synchronized Tensor whole() {
            return Tensor.wrap(data, shape);
        }
    }

    /** One model call and the sampler steps of the runs it completes. */
    private final class Part {
        private final String net;
        private final List<Slice<R>> slices;
        private final Map<R, Tensor> inputs;
        private final Map<R, Gather> gathers;
        private final Map<R, RuntimeException> failures;
        private final int rows;

        Part(String net, List<Slice<R>> slices, Map<R, Tensor> inputs, Map<R, Gather> gathers,
                Map<R, RuntimeException> failures) {
            this.net = net;
            this.slices = slices;
            this.inputs = inputs;
            this.gathers = gathers;
            this.failures = failures;
            this.rows = slices.stream().mapToInt(Slice::rows).sum();
        }

        double estimatedNanos() {
            return rows * nanosPerRow.getOrDefault(net, 1.0);
        }

        /** @param alone whether this is the step's only call */
        void run(boolean alone) {
            long start = System.nanoTime();
            Tensor out;
            try {
                out = call.predict(net, input(), timesteps(), slices, alone);
                if (out.batch() != rows) {
                    throw new IllegalStateException(net + " returned " + out + " for " + rows + " rows");
                }
            } catch (RuntimeException e) {
                for (Slice<R> s : slices) {
                    failures.put(s.run(), e);
                    Gather g = gathers.get(s.run());
                    if (g != null) {
                        g.pending.decrementAndGet();
                    }
                }
                return;
            }
            int at = 0;
            for (Slice<R> s : slices) {
                R run = s.run();
                try {
                    if (s.whole()) {
                        run.advance(slices.size() == 1 ? out : out.slice(at, at + s.rows()));
                    } else {
                        Gather g = gathers.get(run);
                        g.put(out, at, s);
                        // the failure, if any, was recorded before the other part counted down
                        if (g.pending.decrementAndGet() == 0 && !failures.containsKey(run)) {
                            run.advance(g.whole());
                        }
                    }
                } catch (RuntimeException e) {
                    failures.put(run, e);
                }
                at += s.rows();
            }
            double perRow = (System.nanoTime() - start) / (double) rows;
            nanosPerRow.merge(net, perRow, (old, now) -> 0.8 * old + 0.2 * now);
        }

        private Tensor input() {
            if (slices.size() == 1 && slices.get(0).whole()) {
                return inputs.get(slices.get(0).run());
            }
            List<Tensor> pieces = new ArrayList<>(slices.size());
            for (Slice<R> s : slices) {
                Tensor in = inputs.get(s.run());
                pieces.add(s.whole() ? in : in.slice(s.from(), s.to()));
            }
            return pieces.size() == 1 ? pieces.get(0) : Tensor.concat(pieces);
        }

        private long[] timesteps() {
            long[] t = new long[rows];
            int at = 0;
            for (Slice<R> s : slices) {
                Arrays.fill(t, at, at + s.rows(), s.run().timestep());
                at += s.rows();
            }
            return t;
        }
    }
}
