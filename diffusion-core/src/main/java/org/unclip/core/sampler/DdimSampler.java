package org.unclip.core.sampler;

import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.tensor.Tensor;

/**
 * DDIM (Song et al., eq. 12) as diffusers' {@code DDIMScheduler.step} with {@code clip_sample},
 * {@code set_alpha_to_one} and {@code use_clipped_model_output}: ε is always re-derived from the
 * clamped x0, which is what makes few-step DDIM usable on clamped pixel models.
 *
 * <pre>
 * x0 from the prediction type, clamped to ±clipSampleRange;  ε = (x − √ᾱ_t·x0)/√(1−ᾱ_t)
 * σ = η·√((1−ᾱ_prev)/(1−ᾱ_t)·(1 − ᾱ_t/ᾱ_prev))
 * x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev−σ²)·ε + σ·z
 * </pre>
 *
 * Variance channels in the model output, if any, are ignored.
 */
public record DdimSampler(NoiseSchedule schedule, PredictionType predictionType, double clipSampleRange, double eta)
        implements Sampler {

    public DdimSampler {
        if (!(clipSampleRange > 0)) {
            throw new IllegalArgumentException("clipSampleRange must be > 0, got " + clipSampleRange);
        }
        if (!(eta >= 0)) {
            throw new IllegalArgumentException("eta must be >= 0, got " + eta);
        }
    }

    @Override
    public boolean addsNoise(int t, int prevT) {
        return eta > 0 && prevT >= 0;
    }

    @Override
    public StepResult step(Tensor modelOutput, int t, int prevT, Tensor sample, Tensor noise) {
        StepShapes.checkTimesteps(t, prevT, schedule.numTrainTimesteps());
        StepShapes.hasVarianceChannels(modelOutput, sample);
        boolean noisy = addsNoise(t, prevT);
        if (noisy) {
            StepShapes.checkNoise(noise, sample);
        }

        float alphaProdT = schedule.alphaCumprod(t);
        float alphaProdPrev = schedule.alphaCumprod(prevT);
        float betaProdT = 1f - alphaProdT;
        float betaProdPrev = 1f - alphaProdPrev;
        float sqrtAlphaProdT = StepShapes.sqrt(alphaProdT);
        float sqrtBetaProdT = StepShapes.sqrt(betaProdT);
        float variance = betaProdPrev / betaProdT * (1f - alphaProdT / alphaProdPrev);
        float stdDev = (float) eta * StepShapes.sqrt(variance);
        float sqrtAlphaProdPrev = StepShapes.sqrt(alphaProdPrev);
        float direction = StepShapes.sqrt(Math.max(0f, 1f - alphaProdPrev - stdDev * stdDev));
        float range = (float) clipSampleRange;

        java.nio.FloatBuffer x = sample.view();
        java.nio.FloatBuffer out = modelOutput.view();
        java.nio.FloatBuffer z = noisy ? noise.view() : null;
        int n = sample.rowSize();
        int outRow = modelOutput.rowSize();
        float[] prev = new float[sample.size()];
        float[] x0 = new float[sample.size()];
        for (int b = 0; b < sample.batch(); b++) {
            for (int j = 0; j < n; j++) {
                int i = b * n + j;
                float m = out.get(b * outRow + j);
                float s = x.get(i);
                float p = StepShapes.predictedOriginal(predictionType, m, s, sqrtAlphaProdT, sqrtBetaProdT, range);
                x0[i] = p;
                float eps = (s - sqrtAlphaProdT * p) / sqrtBetaProdT;
                float next = sqrtAlphaProdPrev * p + direction * eps;
                if (noisy) {
                    next = next + stdDev * z.get(i);
                }
                prev[i] = next;
            }
        }
        long[] shape = sample.shape();
        return new StepResult(Tensor.wrap(prev, shape), Tensor.wrap(x0, shape));
    }
}
