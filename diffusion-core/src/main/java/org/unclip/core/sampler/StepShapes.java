package org.unclip.core.sampler;

import java.util.Arrays;
import org.unclip.core.tensor.Tensor;

/** Argument checks shared by the samplers. */
final class StepShapes {

    private StepShapes() {}

    static void checkTimesteps(int t, int prevT, int numTrainTimesteps) {
        if (t < 0 || t >= numTrainTimesteps) {
            throw new IllegalArgumentException("timestep " + t + " outside [0, " + (numTrainTimesteps - 1) + "]");
        }
        if (prevT < -1 || prevT >= t) {
            throw new IllegalArgumentException("previous timestep " + prevT + " must lie in [-1, " + (t - 1) + "]");
        }
    }

    /** True when the output carries variance channels (channel axis doubled), false when same shape. */
    static boolean hasVarianceChannels(Tensor modelOutput, Tensor sample) {
        long[] out = modelOutput.shape();
        long[] in = sample.shape();
        if (Arrays.equals(out, in)) {
            return false;
        }
        boolean doubled = out.length == in.length && in.length >= 2 && out[0] == in[0] && out[1] == 2 * in[1];
        for (int i = 2; doubled && i < in.length; i++) {
            doubled = out[i] == in[i];
        }
        if (!doubled) {
            throw new IllegalArgumentException("model output " + Arrays.toString(out)
                    + " must match the sample " + Arrays.toString(in) + " or double its channel axis");
        }
        return true;
    }

    static void checkNoise(Tensor noise, Tensor sample) {
        if (noise == null) {
            throw new IllegalArgumentException("this step adds noise but none was given");
        }
        if (!Arrays.equals(noise.shape(), sample.shape())) {
            throw new IllegalArgumentException("noise " + Arrays.toString(noise.shape()) + " must match the sample "
                    + Arrays.toString(sample.shape()));
        }
    }

    /**
     * x0 from one element of the model output {@code m} at sample value {@code s}, clamped to
     * ±{@code range}: (s − √(1−ᾱ_t)·m)/√ᾱ_t for ε, m itself for a sample prediction,
     * √ᾱ_t·s − √(1−ᾱ_t)·m for v.
     */
    static float predictedOriginal(PredictionType type, float m, float s, float sqrtAlphaProdT, float sqrtBetaProdT,
            float range) {
        float p = switch (type) {
            case EPSILON -> (s - sqrtBetaProdT * m) / sqrtAlphaProdT;
            case SAMPLE -> m;
            case V_PREDICTION -> sqrtAlphaProdT * s - sqrtBetaProdT * m;
        };
        return Math.min(Math.max(p, -range), range);
    }

    static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }
}
