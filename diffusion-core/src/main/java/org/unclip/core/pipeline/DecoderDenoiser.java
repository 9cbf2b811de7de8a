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
}
