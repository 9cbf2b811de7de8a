package org.unclip.core.pipeline;

import org.unclip.core.tensor.Tensor;

/** The prior network: one denoising prediction. */
@FunctionalInterface
public interface PriorDenoiser {

    /**
     * @param sample {@code [B,D]} noisy image embeddings in the normalised space
     * @param timestep the training timestep of every row
     * @param text the text conditioning of every row (batch B)
     * @return {@code [B,D]} the predicted clean embedding x0 (normalised)
     */
    Tensor predict(Tensor sample, int timestep, TextConditioning text);

    /** The same with a timestep per row; by default one call per run of equal timesteps. */
    default Tensor predict(Tensor sample, long[] timesteps, TextConditioning text) {
        return RowRuns.byTimestep(timesteps,
                (from, to, t) -> predict(sample.slice(from, to), t, text.slice(from, to)));
    }
}
