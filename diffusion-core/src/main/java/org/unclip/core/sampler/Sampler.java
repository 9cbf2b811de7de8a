package org.unclip.core.sampler;

import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.schedule.TimestepSpacing;
import org.unclip.core.tensor.Tensor;

/**
 * A reverse-diffusion step rule. Samplers are pure values: {@link #step} depends on its arguments
 * only, so the same sampler serves every request and every thread. The loop that calls it is
 * written out in the pipelines.
 *
 * <p>Notation: x_t = {@code sample}, x0 = {@code predictedOriginal}, ᾱ_t = cumulative product of
 * the schedule's alphas; {@code prevT} is the next timestep of the run, -1 after the last.
 */
public sealed interface Sampler permits DdpmSampler, DdimSampler, DpmSolverPlusPlusSampler {

    NoiseSchedule schedule();

    /** The timesteps of an {@code steps}-step run, descending (linspace spacing). */
    default int[] timesteps(int steps) {
        return TimestepSpacing.LINSPACE.timesteps(steps, schedule().numTrainTimesteps());
    }

    /** Whether {@link #step} at {@code t → prevT} needs a noise tensor. */
    boolean addsNoise(int t, int prevT);

    /**
     * One step x_t → x_{prevT}.
     *
     * @param modelOutput the (guided) model output for {@code sample} at {@code t}: same shape as
     *     {@code sample}, or with the channel axis doubled when the model also predicts its variance
     * @param noise standard normal noise shaped like {@code sample}; may be null when
     *     {@link #addsNoise} is false
     */
    StepResult step(Tensor modelOutput, int t, int prevT, Tensor sample, Tensor noise);

    /**
     * What a multistep sampler needs from the step before: its timestep and its
     * {@link StepResult#predictedOriginal()}.
     */
    record History(int t, Tensor predictedOriginal) {}

    /**
     * One step that may use the step before ({@code previous}, null at a loop's first step). Only
     * multistep samplers look at it; the others make the same step as without it. Callers keep
     * {@code new History(t, result.predictedOriginal())} for the next step.
     */
    default StepResult step(Tensor modelOutput, int t, int prevT, Tensor sample, Tensor noise, History previous) {
        return step(modelOutput, t, prevT, sample, noise);
    }
}
