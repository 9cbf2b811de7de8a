package org.unclip.core.pipeline;

import org.unclip.core.tensor.Tensor;

/** The decoder network: one denoising prediction. */
@FunctionalInterface
public interface DecoderDenoiser {

    /**
     * @param sample {@code [B,3,R,R]} noisy images
     * @param timestep the training timestep of every row
     * @return {@code [B,6,R,R]} (ε then the variance interpolation v) or {@code [B,3,R,R]} (ε)
     */
    Tensor predict(Tensor sample, int timestep, DecoderConditioning conditioning);

    /**
     * The same with a timestep per row (rows of requests at different steps share one batch). By
     * default one call per run of equal timesteps; a graph that takes a timestep per row does it in
     * one call.
     */
    default Tensor predict(Tensor sample, long[] timesteps, DecoderConditioning conditioning) {
        return RowRuns.byTimestep(timesteps,
                (from, to, t) -> predict(sample.slice(from, to), t, conditioning.slice(from, to)));
    }
}
