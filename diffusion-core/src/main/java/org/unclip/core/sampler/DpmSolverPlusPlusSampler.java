package org.unclip.core.sampler;

import java.nio.FloatBuffer;
import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.tensor.Tensor;

/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", multistep second order with the midpoint
 * rule; diffusers' {@code DPMSolverMultistepScheduler} with {@code algorithm_type="dpmsolver++"},
 * {@code solver_order=2}, {@code final_sigmas_type="zero"}), on the clamped clean-sample (data)
 * prediction. Deterministic: it adds no noise after the initial x_T.
 *
 * <pre>
 * α_t = √ᾱ_t, σ_t = √(1−ᾱ_t), λ_t = log α_t − log σ_t;  step s → p, h = λ_p − λ_s
 * x0_s from the prediction type, clamped to ±clipSampleRange
 * D = x0_s                                         first step of a loop (no history)
 * D = x0_s + (x0_s − x0_{s1})/(2r), r = (λ_s − λ_{s1})/h    with the step before at s1
 * x_p = (σ_p/σ_s)·x_s + α_p·(1 − e^{−h})·D
 * x_{-1} = x0_s                                    the last step, into ᾱ = 1
 * </pre>
 *
 * Variance channels in the model output, if any, are ignored. The Python reference is
 * {@code Schedule.dpmpp_2m_step} in training/unclip_training/schedule.py.
 */
public record DpmSolverPlusPlusSampler(NoiseSchedule schedule, PredictionType predictionType, double clipSampleRange)
        implements Sampler {

    public DpmSolverPlusPlusSampler {
        if (!(clipSampleRange > 0)) {
            throw new IllegalArgumentException("clipSampleRange must be > 0, got " + clipSampleRange);
        }
    }

    @Override
    public boolean addsNoise(int t, int prevT) {
        return false;
    }

    /** A first-order step (the first of a loop). */
    @Override
    public StepResult step(Tensor modelOutput, int t, int prevT, Tensor sample, Tensor noise) {
        return step(modelOutput, t, prevT, sample, noise, null);
    }

    @Override
    public StepResult step(Tensor modelOutput, int t, int prevT, Tensor sample, Tensor noise, History previous) {
        StepShapes.checkTimesteps(t, prevT, schedule.numTrainTimesteps());
        StepShapes.hasVarianceChannels(modelOutput, sample);
        if (previous != null) {
            if (previous.t() <= t || previous.t() >= schedule.numTrainTimesteps()) {
                throw new IllegalArgumentException("the step before must be at a timestep in (" + t + ", "
                        + schedule.numTrainTimesteps() + "), got " + previous.t());
            }
            if (!java.util.Arrays.equals(previous.predictedOriginal().shape(), sample.shape())) {
                throw new IllegalArgumentException("the step before's prediction " + previous.predictedOriginal()
                        + " must match the sample " + sample);
            }
        }
        // the x0 formula in float32, as the reference (and DdpmSampler) computes it
        float alphaProdT = schedule.alphaCumprod(t);
        float sqrtAlphaProdT = StepShapes.sqrt(alphaProdT);
        float sqrtBetaProdT = StepShapes.sqrt(1f - alphaProdT);
        float range = (float) clipSampleRange;
        boolean last = prevT < 0;

        // the step's coefficients in double, as the reference computes them
        float sampleCoeff = 0f;
        float dataCoeff = 0f;
        float historyCoeff = 0f;
        if (!last) {
            double alphaProdPrev = schedule.alphaCumprod(prevT);
            double lambdaS = lambda(alphaProdT);
            double h = lambda(alphaProdPrev) - lambdaS;
            sampleCoeff = (float) (Math.sqrt(1 - alphaProdPrev) / Math.sqrt(1 - (double) alphaProdT));
            dataCoeff = (float) (-Math.sqrt(alphaProdPrev) * Math.expm1(-h));
            if (previous != null) {
                double r = (lambdaS - lambda(schedule.alphaCumprod(previous.t()))) / h;
                historyCoeff = (float) (0.5 / r);
            }
        }

        FloatBuffer x = sample.view();
        FloatBuffer out = modelOutput.view();
        FloatBuffer before = previous == null ? null : previous.predictedOriginal().view();
        int n = sample.rowSize();
        int outRow = modelOutput.rowSize();
        float[] next = new float[sample.size()];
        float[] x0 = new float[sample.size()];
        for (int b = 0; b < sample.batch(); b++) {
            for (int j = 0; j < n; j++) {
                int i = b * n + j;
                float m = out.get(b * outRow + j);
                float s = x.get(i);
                float p = StepShapes.predictedOriginal(predictionType, m, s, sqrtAlphaProdT, sqrtBetaProdT, range);
                x0[i] = p;
                if (last) {
                    next[i] = p;
                } else {
                    float d = before == null ? p : p + historyCoeff * (p - before.get(i));
                    next[i] = sampleCoeff * s + dataCoeff * d;
                }
            }
        }
        long[] shape = sample.shape();
        return new StepResult(Tensor.wrap(next, shape), Tensor.wrap(x0, shape));
    }

    /** λ = log α − log σ = ½·log ᾱ − ½·log(1 − ᾱ). */
    private static double lambda(double alphaProd) {
        return 0.5 * Math.log(alphaProd) - 0.5 * Math.log(1 - alphaProd);
    }
}
