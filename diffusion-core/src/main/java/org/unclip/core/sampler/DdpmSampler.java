package org.unclip.core.sampler;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.tensor.Tensor;

/**
 * Ancestral DDPM sampling exactly as diffusers' {@code UnCLIPScheduler.step}, in float32 and in the
 * same order of operations:
 *
 * <pre>
 * β = 1 − ᾱ_t/ᾱ_prev (β_t itself when prev = t−1), α = 1 − β
 * x0 = (x − √(1−ᾱ_t)·ε)/√ᾱ_t | model output | √ᾱ_t·x − √(1−ᾱ_t)·v, clamped to ±clipSampleRange
 * μ = (√ᾱ_prev·β/(1−ᾱ_t))·x0 + (√α·(1−ᾱ_prev)/(1−ᾱ_t))·x
 * x_prev = μ + σ·z when t &gt; 0, else μ;  σ̃² = (1−ᾱ_prev)/(1−ᾱ_t)·β
 * fixed_small_log: σ = exp(½·log max(σ̃², 1e-20));  learned_range: σ = exp(½·(f·log β + (1−f)·log σ̃²)), f = (v+1)/2
 * </pre>
 *
 * With {@link VarianceType#LEARNED_RANGE} the model output carries v in a second half of its channel
 * axis ({@code [B,2C,...]}).
 */
public record DdpmSampler(
        NoiseSchedule schedule, PredictionType predictionType, VarianceType varianceType, double clipSampleRange)
        implements Sampler {

    private static final float MIN_VARIANCE = 1e-20f;

    public DdpmSampler {
        if (!(clipSampleRange > 0)) {
            throw new IllegalArgumentException("clipSampleRange must be > 0, got " + clipSampleRange);
        }
    }

    @Override
    public boolean addsNoise(int t, int prevT) {
        return t > 0;
    }

    @Override
    public StepResult step(Tensor modelOutput, int t, int prevT, Tensor sample, Tensor noise) {
        StepShapes.checkTimesteps(t, prevT, schedule.numTrainTimesteps());
        boolean varianceChannels = StepShapes.hasVarianceChannels(modelOutput, sample);
        if (varianceChannels != (varianceType == VarianceType.LEARNED_RANGE)) {
            throw new IllegalArgumentException(varianceType.configName() + " needs a model output "
                    + (varianceChannels ? "without" : "with") + " variance channels; got "
                    + Arrays.toString(modelOutput.shape()) + " for sample "
                    + Arrays.toString(sample.shape()));
        }
        boolean noisy = addsNoise(t, prevT);
        if (noisy) {
            StepShapes.checkNoise(noise, sample);
        }

        // 1. alphas and betas of this (possibly respaced) step
        float alphaProdT = schedule.alphaCumprod(t);
        float alphaProdPrev = schedule.alphaCumprod(prevT);
        float betaProdT = 1f - alphaProdT;
        float betaProdPrev = 1f - alphaProdPrev;
        float beta;
        float alpha;
        if (prevT == t - 1) {
            beta = schedule.beta(t);
            alpha = schedule.alpha(t);
        } else {
            beta = 1f - alphaProdT / alphaProdPrev;
            alpha = 1f - beta;
        }

        // 2. coefficients of the posterior mean (DDPM eq. 7) and the noise scale
        float x0Coeff = StepShapes.sqrt(alphaProdPrev) * beta / betaProdT;
        float sampleCoeff = StepShapes.sqrt(alpha) * betaProdPrev / betaProdT;
        float sqrtAlphaProdT = StepShapes.sqrt(alphaProdT);
        float sqrtBetaProdT = StepShapes.sqrt(betaProdT);
        float range = (float) clipSampleRange;
        float variance = betaProdPrev / betaProdT * beta;
        float fixedSigma = (float) Math.exp(0.5f * (float) Math.log(Math.max(variance, MIN_VARIANCE)));
        float minLog = (float) Math.log(variance);
        float maxLog = (float) Math.log(beta);

        FloatBuffer x = sample.view();
        FloatBuffer out = modelOutput.view();
        FloatBuffer z = noisy ? noise.view() : null;
        int n = sample.rowSize();
        int outRow = modelOutput.rowSize();
        float[] prev = new float[sample.size()];
        float[] x0 = new float[sample.size()];
        for (int b = 0; b < sample.batch(); b++) {
            for (int j = 0; j < n; j++) {
                int i = b * n + j;
                float m = out.get(b * outRow + j);
                float s = x.get(i);
                // 3. predicted original sample, clamped
                float p = StepShapes.predictedOriginal(predictionType, m, s, sqrtAlphaProdT, sqrtBetaProdT, range);
                x0[i] = p;
                // 4. posterior mean, plus noise unless this is the last step
                float mean = x0Coeff * p + sampleCoeff * s;
                if (noisy) {
                    float sigma;
                    if (varianceType == VarianceType.FIXED_SMALL_LOG) {
                        sigma = fixedSigma;
                    } else if (variance > 0f) {
                        float frac = (out.get(b * outRow + n + j) + 1f) / 2f;
                        float logVariance = frac * maxLog + (1f - frac) * minLog;
                        sigma = (float) Math.exp(0.5f * logVariance);
                    } else {
                        sigma = 0f;
                    }
                    mean = mean + sigma * z.get(i);
                }
                prev[i] = mean;
            }
        }
        long[] shape = sample.shape();
        return new StepResult(Tensor.wrap(prev, shape), Tensor.wrap(x0, shape));
    }

    /**
     * The noise scale σ of a step for a model variance output {@code v} (ignored by
     * fixed_small_log): diffusers' {@code _get_variance}, returned as a standard deviation.
     */
    public float sigma(int t, int prevT, float v) {
        StepShapes.checkTimesteps(t, prevT, schedule.numTrainTimesteps());
        return (float) Math.exp(0.5f * logVariance(t, prevT, v));
    }

    /** log σ² of a step: for learned_range, diffusers' {@code _get_variance}; for fixed_small_log, log max(σ̃², 1e-20). */
    public float logVariance(int t, int prevT, float v) {
        StepShapes.checkTimesteps(t, prevT, schedule.numTrainTimesteps());
        float alphaProdT = schedule.alphaCumprod(t);
        float alphaProdPrev = schedule.alphaCumprod(prevT);
        float beta = prevT == t - 1 ? schedule.beta(t) : 1f - alphaProdT / alphaProdPrev;
        float variance = (1f - alphaProdPrev) / (1f - alphaProdT) * beta;
        if (varianceType == VarianceType.FIXED_SMALL_LOG) {
            return (float) Math.log(Math.max(variance, MIN_VARIANCE));
        }
        float frac = (v + 1f) / 2f;
        return frac * (float) Math.log(beta) + (1f - frac) * (float) Math.log(variance);
    }
}
