package org.unclip.core.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import org.unclip.core.tensor.Tensor;

/**
 * What every pipeline run keeps: its request, its seeds (one image each) and, once it has taken
 * its last step, its result; and how runs at different steps share one model call
 * ({@link #stepTogether}).
 *
 * @param <Q> the pipeline's request type
 */
public abstract sealed class PipelineRun<Q> implements SteppedRun permits DecoderPipeline.Run, PriorPipeline.Run {

    private final Q request;
    final long[] seeds;
    private Tensor result;

    PipelineRun(Q request, long[] seeds) {
        this.request = request;
        this.seeds = seeds;
    }

    @Override
    public final boolean done() {
        return result != null;
    }

    @Override
    public final int images() {
        return seeds.length;
    }

    public final Q request() {
        return request;
    }

    /** The result, once {@link #done()}. */
    public final Tensor result() {
        if (result == null) {
            throw new IllegalStateException("the run has not finished");
        }
        return result;
    }

    final void finish(Tensor value) {
        this.result = value;
    }

    /** Rows this run adds to its next model call ([uncond; cond] when guided). */
    abstract int modelRows();

    /** The training timestep of its next model call. */
    abstract int timestep();

    /** Its rows of the next model call's input. */
    abstract Tensor modelInput();

    /** Takes its rows of the model's output and makes one sampler step. */
    abstract void advance(Tensor out);

    /** One model call for the rows of several runs: the inputs stacked, a timestep per row. */
    @FunctionalInterface
    interface BatchedCall {
        Tensor predict(Tensor input, long[] timesteps);
    }

    /** Model rows of {@code runs} together. */
    static int rows(List<? extends PipelineRun<?>> runs) {
        int rows = 0;
        for (PipelineRun<?> r : runs) {
            rows += r.modelRows();
        }
        return rows;
    }

    /**
     * Steps runs that need the same network with one call: their inputs and timesteps are
     * stacked, the output must have a row per input row, and each run advances on its own rows.
     * A failed call fails every run in it; a run whose own step fails fails alone.
     *
     * @param network the call's name, for errors
     */
    static <R extends PipelineRun<?>> void stepTogether(List<R> runs, String network, BatchedCall call,
            BiConsumer<R, RuntimeException> failed) {
        int rows = rows(runs);
        Tensor out;
        try {
            List<Tensor> inputs = new ArrayList<>(runs.size());
            long[] timesteps = new long[rows];
            int at = 0;
            for (R run : runs) {
                inputs.add(run.modelInput());
                Arrays.fill(timesteps, at, at + run.modelRows(), run.timestep());
                at += run.modelRows();
            }
            out = call.predict(inputs.size() == 1 ? inputs.get(0) : Tensor.concat(inputs), timesteps);
            if (out.batch() != rows) {
                throw new IllegalStateException(network + " returned " + out + " for " + rows + " rows");
            }
        } catch (RuntimeException e) {
            runs.forEach(r -> failed.accept(r, e));
            return;
        }
        int at = 0;
        for (R run : runs) {
            Tensor own = runs.size() == 1 ? out : out.slice(at, at + run.modelRows());
            at += run.modelRows();
            try {
                run.advance(own);
            } catch (RuntimeException e) {
                failed.accept(run, e);
            }
        }
    }
}
