package org.unclip.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.unclip.core.Goldens;

class NoiseScheduleTest {

    private static final Goldens GOLDENS = Goldens.load("schedule.txt");

    @Test
    void squaredCosMatchesTheReferenceTables() {
        NoiseSchedule s = NoiseSchedule.create(BetaSchedule.SQUAREDCOS_CAP_V2, 1000);
        float[] expected = GOLDENS.get("squaredcos_cap_v2.alphas_cumprod").data();
        float[] actual = s.alphasCumprod();
        for (int t = 0; t < 1000; t++) {
            assertThat(actual[t]).as("alphas_cumprod[%d]", t).isCloseTo(expected[t], within(Math.ulp(expected[t]) * 2));
        }
    }

    @Test
    void squaredCosEndsAtTheKnownValue() {
        NoiseSchedule s = NoiseSchedule.create(BetaSchedule.SQUAREDCOS_CAP_V2, 1000);
        assertThat(s.alphaCumprod(999)).isCloseTo(2.428733e-9f, within(1e-14f));
        assertThat(s.beta(999)).isEqualTo(0.999f);
        assertThat(s.alphaCumprod(-1)).isEqualTo(1f);
        assertThat(s.alphaCumprod(0)).isLessThan(1f).isGreaterThan(0.9999f);
    }

    @Test
    void linearMatchesTorchLinspace() {
        NoiseSchedule s = NoiseSchedule.create(BetaSchedule.LINEAR, 1000);
        assertThat(s.beta(0)).isEqualTo(0.0001f);
        assertThat(s.beta(999)).isEqualTo(0.02f);
        float[] expected = GOLDENS.get("linear.alphas_cumprod").data();
        float[] actual = s.alphasCumprod();
        for (int t = 0; t < 1000; t++) {
            assertThat(actual[t]).as("alphas_cumprod[%d]", t).isCloseTo(expected[t], within(Math.ulp(expected[t]) * 2));
        }
    }

    @Test
    void alphasCumprodDecreases() {
        for (BetaSchedule kind : BetaSchedule.values()) {
            float[] a = NoiseSchedule.create(kind, 1000).alphasCumprod();
            for (int t = 1; t < a.length; t++) {
                assertThat(a[t]).as("%s at %d", kind, t).isLessThan(a[t - 1]);
            }
        }
    }
}
