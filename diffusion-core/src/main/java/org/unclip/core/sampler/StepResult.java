package org.unclip.core.sampler;

import org.unclip.core.tensor.Tensor;

/**
 * What one sampler step produces.
 *
 * @param prevSample x_{t_prev}: the sample to feed the next step (the final image after the last)
 * @param predictedOriginal the clamped x0 prediction at this step (for previews)
 */
public record StepResult(Tensor prevSample, Tensor predictedOriginal) {}
