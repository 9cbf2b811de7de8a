package org.unclip.gateway.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EmbeddingMathTest {

    private static final double EPS = 1e-6;

    private static float[] random(Random random, int d, double length) {
        float[] v = new float[d];
        double n = 0;
        for (int i = 0; i < d; i++) {
            v[i] = (float) random.nextGaussian();
            n += v[i] * v[i];
        }
        for (int i = 0; i < d; i++) {
            v[i] = (float) (v[i] / Math.sqrt(n) * length);
        }
        return v;
    }

    private static float[] scaled(float[] v, float s) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * s;
        }
        return out;
    }

    @Test
    void slerp_endpointsAreTheInputs() {
        Random random = new Random(1);
        float[] a = random(random, 16, 1.3);
        float[] b = random(random, 16, 0.7);

        assertThat(EmbeddingMath.slerp(a, b, 0)).containsExactly(a);
        assertThat(EmbeddingMath.slerp(a, b, 1)).containsExactly(b);
        // Approaching the ends continuously, too.
        assertThat(EmbeddingMath.slerp(a, b, 1e-9)).containsExactly(a, within(1e-6f));
        assertThat(EmbeddingMath.slerp(a, b, 1 - 1e-9)).containsExactly(b, within(1e-6f));
    }

    @Test
    void slerp_ofUnitVectors_staysOnTheUnitSphere() {
        Random random = new Random(2);
        float[] a = random(random, 32, 1);
        float[] b = random(random, 32, 1);
        for (double theta = 0; theta <= 1; theta += 0.05) {
            assertThat(EmbeddingMath.norm(EmbeddingMath.slerp(a, b, theta))).isCloseTo(1.0, within(EPS));
        }
    }

    @Test
    void slerp_interpolatesTheLengthLinearly() {
        Random random = new Random(3);
        float[] a = random(random, 8, 2.0);
        float[] b = random(random, 8, 0.5);
        for (double theta : new double[] {0.1, 0.25, 0.5, 0.9}) {
            assertThat(EmbeddingMath.norm(EmbeddingMath.slerp(a, b, theta)))
                    .isCloseTo((1 - theta) * 2.0 + theta * 0.5, within(EPS));
        }
    }

    @Test
    void slerp_turnsAtAConstantRate_halfTheAngleAtOneHalf() {
        Random random = new Random(4);
        float[] a = random(random, 24, 1.1);
        float[] b = random(random, 24, 0.9);
        double omega = EmbeddingMath.angle(a, b);
        assertThat(omega).isBetween(0.1, Math.PI - 0.1);

        float[] mid = EmbeddingMath.slerp(a, b, 0.5);
        assertThat(EmbeddingMath.angle(a, mid)).isCloseTo(omega / 2, within(EPS));
        assertThat(EmbeddingMath.angle(mid, b)).isCloseTo(omega / 2, within(EPS));
        for (double theta : new double[] {0.2, 0.7}) {
            float[] z = EmbeddingMath.slerp(a, b, theta);
            assertThat(EmbeddingMath.angle(a, z)).isCloseTo(theta * omega, within(EPS));
            assertThat(EmbeddingMath.angle(z, b)).isCloseTo((1 - theta) * omega, within(EPS));
        }
    }

    @Test
    void slerp_isNotLinearInterpolation() {
        float[] a = {1, 0};
        float[] b = {0, 1};
        float[] mid = EmbeddingMath.slerp(a, b, 0.5);
        // lerp would give (0.5, 0.5), of length 0.707; slerp stays on the circle.
        assertThat(mid).containsExactly(new float[] {(float) Math.sqrt(0.5), (float) Math.sqrt(0.5)}, within(1e-7f));
    }

    @Test
    void slerp_ofParallelVectors_keepsTheDirection() {
        float[] a = {0.6f, 0.8f, 0};
        float[] b = scaled(a, 3);
        float[] z = EmbeddingMath.slerp(a, b, 0.5);
        assertThat(z).containsExactly(new float[] {0.6f * 2, 0.8f * 2, 0}, within(1e-6f));
    }

    @Test
    void slerp_ofAntiparallelVectors_isDeterministic_andHalfwayIsPerpendicular() {
        float[] a = {0.6f, 0.8f, 0};
        float[] b = scaled(a, -1);
        float[] mid = EmbeddingMath.slerp(a, b, 0.5);
        float[] again = EmbeddingMath.slerp(a, b, 0.5);

        assertThat(mid).containsExactly(again);
        assertThat(EmbeddingMath.norm(mid)).isCloseTo(1.0, within(EPS));
        assertThat(EmbeddingMath.angle(a, mid)).isCloseTo(Math.PI / 2, within(EPS));
        assertThat(EmbeddingMath.angle(mid, b)).isCloseTo(Math.PI / 2, within(EPS));
        // Every value along the way is finite and on the sphere, also near the far end.
        for (double theta : new double[] {0.01, 0.25, 0.75, 0.99}) {
            float[] z = EmbeddingMath.slerp(a, b, theta);
            assertThat(EmbeddingMath.norm(z)).isCloseTo(1.0, within(EPS));
            assertThat(EmbeddingMath.angle(a, z)).isCloseTo(theta * Math.PI, within(1e-5));
        }
    }

    @Test
    void slerp_refusesVectorsWithoutADirection_andMismatchedLengths() {
        assertThatThrownBy(() -> EmbeddingMath.slerp(new float[] {0, 0}, new float[] {1, 0}, 0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no direction");
        assertThatThrownBy(() -> EmbeddingMath.slerp(new float[] {1, 0}, new float[] {1, 0, 0}, 0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different lengths");
        assertThatThrownBy(() -> EmbeddingMath.slerp(new float[] {1, 0}, new float[] {0, 1}, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddingMath.slerp(new float[] {Float.NaN, 0}, new float[] {0, 1}, 0.5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void normalize_givesAUnitVector_inTheSameDirection() {
        float[] v = {3, 0, 4};
        assertThat(EmbeddingMath.normalize(v)).containsExactly(new float[] {0.6f, 0, 0.8f}, within(1e-7f));
        assertThatThrownBy(() -> EmbeddingMath.normalize(new float[] {0, 0})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void textDiff_isTheUnitDirectionFromOneCaptionToTheOther() {
        float[] from = {1, 0, 0};
        float[] to = {0, 1, 0};
        float[] d = EmbeddingMath.textDiff(from, to);
        float h = (float) Math.sqrt(0.5);
        assertThat(d).containsExactly(new float[] {-h, h, 0}, within(1e-7f));
        assertThat(EmbeddingMath.norm(d)).isCloseTo(1.0, within(EPS));
        assertThatThrownBy(() -> EmbeddingMath.textDiff(from, from.clone()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no direction");
    }

    @Test
    void textDiffFrames_leaveTheStartAtZero_andTurnTowardsTheDiff() {
        Random random = new Random(5);
        float[] image = random(random, 16, 1);
        float[] diff = EmbeddingMath.textDiff(random(random, 16, 1), random(random, 16, 1));
        List<Double> thetas = EmbeddingMath.thetas(5, 0.5);
        double previous = -1;
        for (double theta : thetas) {
            float[] z = EmbeddingMath.slerp(image, diff, theta);
            double toDiff = EmbeddingMath.angle(z, diff);
            if (previous >= 0) {
                assertThat(toDiff).isLessThan(previous);
            }
            previous = toDiff;
        }
        assertThat(EmbeddingMath.slerp(image, diff, thetas.get(0))).containsExactly(image);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 16})
    void thetas_areEvenlySpaced_fromZeroToMax(int frames) {
        List<Double> thetas = EmbeddingMath.thetas(frames, 0.5);
        assertThat(thetas).hasSize(frames);
        assertThat(thetas.get(0)).isEqualTo(0.0);
        assertThat(thetas.get(frames - 1)).isEqualTo(0.5);
        for (int i = 1; i < frames; i++) {
            assertThat(thetas.get(i) - thetas.get(i - 1)).isCloseTo(0.5 / (frames - 1), within(1e-12));
        }
    }

    @Test
    void thetas_needTwoFrames() {
        assertThat(EmbeddingMath.thetas(5, 1)).containsExactly(0.0, 0.25, 0.5, 0.75, 1.0);
        assertThatThrownBy(() -> EmbeddingMath.thetas(1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
