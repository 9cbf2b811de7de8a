package org.unclip.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.unclip.core.Goldens;

class TimestepSpacingTest {

    private static final Goldens GOLDENS = Goldens.load("schedule.txt");

    @Test
    void twentyFiveStepsRoundHalfToEven() {
        assertThat(TimestepSpacing.LINSPACE.timesteps(25, 1000)).containsExactly(
                999, 957, 916, 874, 832, 791, 749, 708, 666, 624, 583, 541, 500, 458, 416, 375, 333, 291, 250,
                208, 166, 125, 83, 42, 0);
    }

    @Test
    void sevenStepsRoundHalfToEven() {
        // 166.5 -> 166 and 832.5 -> 832: Math.round would give 167 and 833
        assertThat(TimestepSpacing.LINSPACE.timesteps(7, 1000)).containsExactly(999, 832, 666, 500, 333, 166, 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 7, 25, 50, 64, 100, 250, 1000})
    void matchesNumpy(int n) {
        assertThat(TimestepSpacing.LINSPACE.timesteps(n, 1000)).containsExactly(GOLDENS.ints("timesteps." + n));
    }

    @Test
    void oneStepStartsAtTheEnd() {
        assertThat(TimestepSpacing.LINSPACE.timesteps(1, 1000)).containsExactly(999);
    }

    @Test
    void leadingAndTrailingFollowDiffusers() {
        assertThat(TimestepSpacing.LEADING.timesteps(5, 1000)).containsExactly(800, 600, 400, 200, 0);
        assertThat(TimestepSpacing.TRAILING.timesteps(5, 1000)).containsExactly(999, 799, 599, 399, 199);
    }

    @Test
    void previousIsMinusOneAfterTheLast() {
        int[] ts = {999, 500, 0};
        assertThat(TimestepSpacing.previous(ts, 0)).isEqualTo(500);
        assertThat(TimestepSpacing.previous(ts, 2)).isEqualTo(-1);
    }

    @Test
    void rejectsImpossibleStepCounts() {
        assertThatThrownBy(() -> TimestepSpacing.LINSPACE.timesteps(0, 1000))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TimestepSpacing.LINSPACE.timesteps(1001, 1000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1000");
    }
}
