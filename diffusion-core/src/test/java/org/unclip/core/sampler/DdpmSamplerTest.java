package org.unclip.core.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.unclip.core.Goldens;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.schedule.BetaSchedule;
import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.schedule.TimestepSpacing;
import org.unclip.core.tensor.Tensor;

class DdpmSamplerTest {

    private static final NoiseSchedule COSINE = NoiseSchedule.create(BetaSchedule.SQUAREDCOS_CAP_V2, 1000);
    private static final Goldens LOOPS = Goldens.load("ddpm_loops.txt");

    private static DdpmSampler sampler(PredictionType p, VarianceType v, double clip) {
        return new DdpmSampler(COSINE, p, v, clip);
    }

    @Test
    void fixedSmallLogSigmaMatchesDiffusers() {
        DdpmSampler s = sampler(PredictionType.EPSILON, VarianceType.FIXED_SMALL_LOG, 1.0);
        assertThat(s.sigma(0, -1, 0f)).isCloseTo(1e-10f, within(1e-15f));
        assertThat(s.sigma(487, 486, 0f)).isCloseTo(0.0549625f, within(1e-6f));
        assertThat(s.sigma(999, 998, 0f)).isCloseTo(0.9994987f, within(1e-6f));
        assertThat(s.sigma(999, 957, 0f)).isCloseTo(0.9978583f, within(1e-6f));
    }

    @Test
    void learnedRangeLogVarianceMatchesDiffusers() {
        DdpmSampler s = sampler(PredictionType.EPSILON, VarianceType.LEARNED_RANGE, 1.0);
        assertThat(s.logVariance(1, 0, 0.5f)).isCloseTo(-10.1712790f, within(1e-5f));
        assertThat(s.logVariance(487, 486, 0.5f)).isCloseTo(-5.7998052f, within(1e-5f));
        assertThat(s.logVariance(999, 998, 0.5f)).isCloseTo(-0.0010011f, within(1e-6f));
    }

    /** diffusers' dummy model: sample · t / (t + 1). */
    private static Tensor fakeEps(Tensor x, int t) {
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = d[i] * t / (t + 1);
        }
        return new Tensor(x.shape(), d);
    }

    private static Tensor times(Tensor x, float k) {
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] *= k;
        }
        return new Tensor(x.shape(), d);
    }

    private static Tensor halfClamped(Tensor x) {
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.min(Math.max(d[i] * 0.5f, -1f), 1f);
        }
        return new Tensor(x.shape(), d);
    }

    private static final long[] SEEDS = {7, 123456789};

    @Test
    void learnedRangeLoopMatchesTheReference() {
        DdpmSampler s = sampler(PredictionType.EPSILON, VarianceType.LEARNED_RANGE, 1.0);
        long[] shape = {3, 4, 4};
        Tensor x = SeededNoise.batch(SEEDS, 1, 0, shape);
        int[] ts = s.timesteps(5);
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            Tensor out = Tensor.concatChannels(fakeEps(x, t), halfClamped(x));
            x = s.step(out, t, TimestepSpacing.previous(ts, i), x, SeededNoise.batch(SEEDS, 1, i + 1, shape))
                    .prevSample();
        }
        assertClose(x, LOOPS.get("learned_range_eps_5"), 2e-6f);
    }

    @Test
    void fixedSmallLogLoopMatchesTheReference() {
        DdpmSampler s = sampler(PredictionType.EPSILON, VarianceType.FIXED_SMALL_LOG, 1.0);
        long[] shape = {3, 4, 4};
        Tensor x = SeededNoise.batch(SEEDS, 2, 0, shape);
        int[] ts = s.timesteps(7);
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            x = s.step(fakeEps(x, t), t, TimestepSpacing.previous(ts, i), x,
                    SeededNoise.batch(SEEDS, 2, i + 1, shape)).prevSample();
        }
        assertClose(x, LOOPS.get("fixed_small_log_eps_7"), 2e-6f);
    }

    @Test
    void vPredictionLoopMatchesTheReference() {
        DdpmSampler s = sampler(PredictionType.V_PREDICTION, VarianceType.FIXED_SMALL_LOG, 1.0);
        long[] shape = {3, 4, 4};
        Tensor x = SeededNoise.batch(SEEDS, 2, 0, shape);
        int[] ts = s.timesteps(6);
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            float[] v = x.data();
            for (int j = 0; j < v.length; j++) {
                v[j] = v[j] * 0.3f - 0.1f;
            }
            x = s.step(new Tensor(x.shape(), v), t, TimestepSpacing.previous(ts, i), x,
                    SeededNoise.batch(SEEDS, 2, i + 1, shape)).prevSample();
        }
        assertClose(x, LOOPS.get("v_prediction_fixed_small_log_6"), 2e-6f);
    }

    @Test
    void samplePredictionLoopMatchesTheReference() {
        DdpmSampler s = sampler(PredictionType.SAMPLE, VarianceType.FIXED_SMALL_LOG, 10.0);
        Tensor x = SeededNoise.batch(SEEDS, 0, 0, 8);
        int[] ts = s.timesteps(25);
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            x = s.step(times(x, 3f), t, TimestepSpacing.previous(ts, i), x, SeededNoise.batch(SEEDS, 0, i + 1, 8))
                    .prevSample();
        }
        assertClose(x, LOOPS.get("fixed_small_log_sample_25"), 1e-5f);
    }

    static void assertClose(Tensor actual, Tensor expected, float tol) {
        assertThat(actual.shape()).containsExactly(expected.shape());
        for (int i = 0; i < actual.size(); i++) {
            assertThat(actual.get(i)).as("element %d", i).isCloseTo(expected.get(i), within(tol));
        }
    }

    @Test
    void lastStepReturnsTheClampedPredictionWithoutNoise() {
        DdpmSampler s = sampler(PredictionType.SAMPLE, VarianceType.FIXED_SMALL_LOG, 1.0);
        Tensor x = Tensor.of(new float[] {0.3f, -0.2f, 5f}, 1, 3);
        Tensor model = Tensor.of(new float[] {0.25f, -3f, 0.5f}, 1, 3);
        StepResult r = s.step(model, 0, -1, x, null);
        assertThat(r.predictedOriginal().data()).containsExactly(0.25f, -1f, 0.5f);
        // As in diffusers, t = 0 uses β_0 itself, and β_0/(1 − ᾱ_0) is not exactly 1 in float32.
        float coeff = COSINE.beta(0) / (1f - COSINE.alphaCumprod(0));
        assertThat(coeff).isNotEqualTo(1f).isCloseTo(1f, within(1e-3f));
        assertThat(r.prevSample().data()).containsExactly(coeff * 0.25f, coeff * -1f, coeff * 0.5f);
        assertThat(s.addsNoise(0, -1)).isFalse();
        assertThat(s.addsNoise(42, 0)).isTrue();
    }

    @Test
    void clampsThePredictedOriginal() {
        DdpmSampler s = sampler(PredictionType.EPSILON, VarianceType.FIXED_SMALL_LOG, 1.0);
        Tensor x = Tensor.filled(3f, 1, 4);
        Tensor eps = Tensor.filled(-3f, 1, 4);
        StepResult r = s.step(eps, 500, 458, x, Tensor.zeros(1, 4));
        assertThat(r.predictedOriginal().data()).containsOnly(1f);
    }

    @Test
    void noiseMovesTheSampleByExactlySigma() {
        DdpmSampler s = sampler(PredictionType.EPSILON, VarianceType.FIXED_SMALL_LOG, 1.0);
        Tensor x = Tensor.of(new float[] {0.1f, -0.4f}, 1, 2);
        Tensor eps = Tensor.of(new float[] {0.3f, 0.2f}, 1, 2);
        Tensor quiet = s.step(eps, 500, 458, x, Tensor.zeros(1, 2)).prevSample();
        Tensor noisy = s.step(eps, 500, 458, x, Tensor.filled(1f, 1, 2)).prevSample();
        float sigma = s.sigma(500, 458, 0f);
        assertThat(sigma).isBetween(0.05f, 1f);
        assertThat(noisy.get(0) - quiet.get(0)).isCloseTo(sigma, within(1e-6f));
        assertThat(noisy.get(1) - quiet.get(1)).isCloseTo(sigma, within(1e-6f));
    }

    @Test
    void rowsAreIndependent() {
        DdpmSampler s = sampler(PredictionType.EPSILON, VarianceType.LEARNED_RANGE, 1.0);
        long[] seeds = {1, 2, 3};
        Tensor x = SeededNoise.batch(seeds, 1, 0, 3, 2, 2);
        Tensor out = SeededNoise.batch(seeds, 9, 9, 6, 2, 2);
        Tensor z = SeededNoise.batch(seeds, 1, 1, 3, 2, 2);
        Tensor all = s.step(out, 916, 874, x, z).prevSample();
        Tensor middle = s.step(out.row(1), 916, 874, x.row(1), z.row(1)).prevSample();
        assertThat(all.row(1)).isEqualTo(middle);
    }

    @Test
    void explainsBadArguments() {
        DdpmSampler fixed = sampler(PredictionType.EPSILON, VarianceType.FIXED_SMALL_LOG, 1.0);
        DdpmSampler learned = sampler(PredictionType.EPSILON, VarianceType.LEARNED_RANGE, 1.0);
        Tensor x = Tensor.zeros(1, 3, 2, 2);
        Tensor z = Tensor.zeros(1, 3, 2, 2);
        assertThatThrownBy(() -> learned.step(x, 10, 9, x, z)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("learned_range");
        assertThatThrownBy(() -> fixed.step(Tensor.zeros(1, 6, 2, 2), 10, 9, x, z))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> fixed.step(Tensor.zeros(1, 5, 2, 2), 10, 9, x, z))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("double its channel axis");
        assertThatThrownBy(() -> fixed.step(x, 10, 9, x, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("noise");
        assertThatThrownBy(() -> fixed.step(x, 10, 10, x, z)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> fixed.step(x, 1000, 9, x, z)).isInstanceOf(IllegalArgumentException.class);
    }
}
