package org.unclip.core.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.schedule.BetaSchedule;
import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.tensor.Tensor;

class DdimSamplerTest {

    private static final NoiseSchedule COSINE = NoiseSchedule.create(BetaSchedule.SQUAREDCOS_CAP_V2, 1000);

    /** x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε. */
    private static Tensor noised(Tensor x0, Tensor eps, int t) {
        float a = COSINE.alphaCumprod(t);
        float[] x = x0.data();
        float[] e = eps.data();
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (Math.sqrt(a) * x[i] + Math.sqrt(1 - a) * e[i]);
        }
        return new Tensor(x0.shape(), x);
    }

    @Test
    void anOracleModelWalksTheForwardTrajectoryBack() {
        // With the true ε and η = 0 each step lands on √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε.
        DdimSampler s = new DdimSampler(COSINE, PredictionType.EPSILON, 1.0, 0.0);
        Tensor x0 = Tensor.of(new float[] {0.5f, -0.25f, 0.9f, 0f}, 1, 4);
        Tensor eps = SeededNoise.batch(new long[] {11}, 1, 0, 4);
        StepResult r = s.step(eps, 916, 624, noised(x0, eps, 916), null);
        Tensor expected = noised(x0, eps, 624);
        for (int i = 0; i < 4; i++) {
            assertThat(r.prevSample().get(i)).isCloseTo(expected.get(i), within(1e-5f));
            assertThat(r.predictedOriginal().get(i)).isCloseTo(x0.get(i), within(1e-5f));
        }
        StepResult last = s.step(eps, 333, -1, noised(x0, eps, 333), null);
        for (int i = 0; i < 4; i++) {
            assertThat(last.prevSample().get(i)).isCloseTo(x0.get(i), within(1e-5f));
        }
    }

    @Test
    void samplePredictionRederivesEpsilonFromTheClampedX0() {
        DdimSampler s = new DdimSampler(COSINE, PredictionType.SAMPLE, 1.0, 0.0);
        Tensor x = Tensor.of(new float[] {0.7f}, 1, 1);
        StepResult r = s.step(Tensor.of(new float[] {4f}, 1, 1), 500, 250, x, null);
        float a = COSINE.alphaCumprod(500);
        float ap = COSINE.alphaCumprod(250);
        double eps = (0.7 - Math.sqrt(a) * 1.0) / Math.sqrt(1 - a);
        assertThat(r.predictedOriginal().get(0)).isEqualTo(1f);
        assertThat((double) r.prevSample().get(0)).isCloseTo(Math.sqrt(ap) + Math.sqrt(1 - ap) * eps, within(1e-5));
    }

    @Test
    void etaAddsNoiseExceptAtTheEnd() {
        DdimSampler deterministic = new DdimSampler(COSINE, PredictionType.EPSILON, 1.0, 0.0);
        DdimSampler stochastic = new DdimSampler(COSINE, PredictionType.EPSILON, 1.0, 1.0);
        assertThat(deterministic.addsNoise(500, 250)).isFalse();
        assertThat(stochastic.addsNoise(500, 250)).isTrue();
        assertThat(stochastic.addsNoise(250, -1)).isFalse();
        Tensor x = Tensor.of(new float[] {0.2f, 0.1f}, 1, 2);
        Tensor eps = Tensor.of(new float[] {0.1f, -0.3f}, 1, 2);
        Tensor a = stochastic.step(eps, 500, 250, x, Tensor.zeros(1, 2)).prevSample();
        Tensor b = stochastic.step(eps, 500, 250, x, Tensor.filled(1f, 1, 2)).prevSample();
        assertThat(b.get(0) - a.get(0)).isGreaterThan(0.1f);
    }

    @Test
    void ignoresVarianceChannels() {
        DdimSampler s = new DdimSampler(COSINE, PredictionType.EPSILON, 1.0, 0.0);
        Tensor x = SeededNoise.batch(new long[] {1}, 1, 0, 3, 2, 2);
        Tensor eps = SeededNoise.batch(new long[] {2}, 1, 0, 3, 2, 2);
        Tensor withVariance = Tensor.concatChannels(eps, Tensor.filled(0.3f, 1, 3, 2, 2));
        assertThat(s.step(withVariance, 800, 600, x, null)).isEqualTo(s.step(eps, 800, 600, x, null));
    }
}
