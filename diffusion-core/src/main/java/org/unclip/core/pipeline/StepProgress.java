package org.unclip.core.pipeline;

import org.unclip.core.tensor.Tensor;

/**
 * One finished step of a stage.
 *
 * @param stage {@link #PRIOR}, {@link #DECODER} or {@link #upsampler(int)}
 * @param step 1-based step just finished
 * @param predictedOriginal the (clamped) x0 prediction of every image at this step, for previews
 */
public record StepProgress(String stage, int step, int totalSteps, Tensor predictedOriginal) {

    public static final String PRIOR = "prior";
    public static final String DECODER = "decoder";

    /** Stage name of the {@code index}-th (0-based) upsampler: "upsampler-1", "upsampler-2", ... */
    public static String upsampler(int index) {
        return "upsampler-" + (index + 1);
    }
}
