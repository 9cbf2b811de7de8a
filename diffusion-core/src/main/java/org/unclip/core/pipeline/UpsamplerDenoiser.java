package org.unclip.core.pipeline;

import org.unclip.core.tensor.Tensor;

/** An upsampler network: one unguided denoising prediction. */
@FunctionalInterface
public interface UpsamplerDenoiser {

    /**
     * @param sample {@code [B,6,R',R']}: the noisy image x_t, then the resized low-resolution image
     * @param timestep the training timestep of every row
     * @param lastStep whether this is the final step (t = 0), for families with a separate last-step graph
     * @return {@code [B,3,R',R']} ε
     */
    Tensor predict(Tensor sample, int timestep, boolean lastStep);

    /** The same with a timestep per row; by default one call per run of equal timesteps. */
    default Tensor predict(Tensor sample, long[] timesteps, boolean lastStep) {
        return RowRuns.byTimestep(timesteps, (from, to, t) -> predict(sample.slice(from, to), t, lastStep));
    }

    /**
     * The same, for a call that is the only one of its step ({@code alone}): an implementation may
     * then use more threads, since nothing else runs beside it. By default the same call.
     */
    default Tensor predict(Tensor sample, long[] timesteps, boolean lastStep, boolean alone) {
        return predict(sample, timesteps, lastStep);
    }
}
