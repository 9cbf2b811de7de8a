package org.unclip.core.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.unclip.core.Goldens;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.schedule.BetaSchedule;
import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.schedule.TimestepSpacing;
import org.unclip.core.tensor.Tensor;

/**
 * DPM-Solver++(2M) against the Python reference ({@code Schedule.dpmpp_2m_step}, goldens written by
 * diffusion-core/src/test/python/make_goldens.py) and against the exact solution of the
 * probability-flow ODE when the model's clean-sample prediction is constant.
 */
class DpmSolverPlusPlusSamplerTest {

    private static final NoiseSchedule COSINE = NoiseSchedule.create(BetaSchedule.SQUAREDCOS_CAP_V2, 1000);
    private static final Goldens LOOPS = Goldens.load("dpmpp_loops.txt");
    private static final long[] SEEDS = {7, 123456789};

    /** A float-to-float function, so the fake models round as the reference's float32 ones do. */
    @FunctionalInterface
    interface FloatOp {
        float apply(float v);
    }

    private static Tensor map(Tensor x, FloatOp f) {
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = f.apply(d[i]);
        }
        return new Tensor(x.shape(), d);
    }

    /** Runs a whole loop from the seeded x_T; checks the first step too. */
    private static void loop(String name, PredictionType type, double clip, int steps, long[] shape,
            BiFunction<Tensor, Integer, Tensor> model, float tol) {
        DpmSolverPlusPlusSampler s = new DpmSolverPlusPlusSampler(COSINE, type, clip);
        Tensor x = SeededNoise.batch(SEEDS, 1, 0, shape);
        int[] ts = s.timesteps(steps);
        Sampler.History history = null;
        for (int i = 0; i < ts.length; i++) {
            int t = ts[i];
            assertThat(s.addsNoise(t, TimestepSpacing.previous(ts, i))).isFalse();
            StepResult r = s.step(model.apply(x, t), t, TimestepSpacing.previous(ts, i), x, null, history);
            history = new Sampler.History(t, r.predictedOriginal());
            x = r.prevSample();
            if (i == 0) {
                DdpmSamplerTest.assertClose(x, LOOPS.get(name + ".first"), tol);
            }
        }
        DdpmSamplerTest.assertClose(x, LOOPS.get(name), tol);
    }

    @Test
    void epsilonLoopMatchesTheReference() {
        loop("eps_clip1_10", PredictionType.EPSILON, 1.0, 10, new long[] {3, 4, 4},
                (x, t) -> map(x, v -> v * t / (t + 1)), 2e-6f);
    }

    @Test
    void samplePredictionLoopMatchesTheReference() {
        loop("sample_clip10_6", PredictionType.SAMPLE, 10.0, 6, new long[] {8}, (x, t) -> map(x, v -> v * 3f),
                1e-5f);
    }

    @Test
    void vPredictionLoopMatchesTheReference() {
        loop("v_clip1_8", PredictionType.V_PREDICTION, 1.0, 8, new long[] {3, 4, 4},
                (x, t) -> map(x, v -> v * 0.3f - 0.1f), 2e-6f);
    }

    @Test
    void aConstantCleanPredictionIsFollowedExactlyAlongTheOde() {
        // x0(x, t) = c for every input: the ODE's solution is x_t = α_t·c + σ_t·ε with ε fixed by x_T
        DpmSolverPlusPlusSampler s = new DpmSolverPlusPlusSampler(COSINE, PredictionType.SAMPLE, 10.0);
        Tensor c = Tensor.of(new float[] {0.3f, -0.7f, 1.5f}, 1, 3);
        Tensor x = Tensor.of(new float[] {1.2f, -0.4f, 0.05f}, 1, 3);
        int[] ts = s.timesteps(12);
        double aT = COSINE.alphaCumprod(ts[0]);
        float[] eps = new float[3];
        for (int j = 0; j < 3; j++) {
            eps[j] = (float) ((x.get(j) - Math.sqrt(aT) * c.get(j)) / Math.sqrt(1 - aT));
        }
        Sampler.History history = null;
        for (int i = 0; i < ts.length; i++) {
            int prev = TimestepSpacing.previous(ts, i);
            StepResult r = s.step(c, ts[i], prev, x, null, history);
            history = new Sampler.History(ts[i], r.predictedOriginal());
            x = r.prevSample();
            double a = COSINE.alphaCumprod(prev);
            for (int j = 0; j < 3; j++) {
                double expected = Math.sqrt(a) * c.get(j) + Math.sqrt(1 - a) * eps[j];
                assertThat((double) x.get(j)).as("step %d element %d", i, j).isCloseTo(expected, within(2e-5));
            }
        }
        assertThat(x.data()).containsExactly(c.data());
    }

    @Test
    void theSecondOrderTermUsesTheStepBefore() {
        DpmSolverPlusPlusSampler s = new DpmSolverPlusPlusSampler(COSINE, PredictionType.SAMPLE, 1.0);
        Tensor x = Tensor.of(new float[] {0.5f, -0.5f}, 1, 2);
        Tensor now = Tensor.of(new float[] {0.2f, 0.1f}, 1, 2);
        StepResult first = s.step(now, 500, 400, x, null, null);
        StepResult second = s.step(now, 500, 400, x, null,
                new Sampler.History(600, Tensor.of(new float[] {-0.2f, 0.4f}, 1, 2)));
        StepResult same = s.step(now, 500, 400, x, null, new Sampler.History(600, now));
        assertThat(second.prevSample()).isNotEqualTo(first.prevSample());
        assertThat(same.prevSample().data()).containsExactly(first.prevSample().data());
    }

    @Test
    void varianceChannelsAreIgnoredAndTheLastStepReturnsTheClampedPrediction() {
        DpmSolverPlusPlusSampler s = new DpmSolverPlusPlusSampler(COSINE, PredictionType.SAMPLE, 1.0);
        Tensor x = Tensor.of(new float[] {0.3f, -0.2f}, 1, 2, 1);
        Tensor out = Tensor.of(new float[] {0.25f, -3f, 9f, 9f}, 1, 4, 1);
        StepResult last = s.step(out, 0, -1, x, null, null);
        assertThat(last.prevSample().data()).containsExactly(0.25f, -1f);
        assertThat(last.predictedOriginal().data()).containsExactly(0.25f, -1f);
    }

    @Test
    void aStepBeforeThatIsNotEarlierIsRefused() {
        DpmSolverPlusPlusSampler s = new DpmSolverPlusPlusSampler(COSINE, PredictionType.SAMPLE, 1.0);
        Tensor x = Tensor.of(new float[] {0.3f}, 1, 1);
        assertThatThrownBy(() -> s.step(x, 500, 400, x, null, new Sampler.History(500, x)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the step before");
    }
}
