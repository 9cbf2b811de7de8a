package org.unclip.core.pipeline;

import java.util.List;
import org.unclip.core.tensor.Tensor;

/**
 * What every pipeline run keeps: its request, its seeds (one image each) and, once it has taken
 * its last step, its result. {@link Lanes} steps runs together.
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

    /** Model rows of {@code runs} together. */
    static int rows(List<? extends PipelineRun<?>> runs) {
        int rows = 0;
        for (PipelineRun<?> r : runs) {
            rows += r.modelRows();
        }
        return rows;
    }
}
