package org.unclip.core.guidance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.unclip.core.tensor.Tensor;

class ClassifierFreeGuidanceTest {

    @Test
    void extrapolatesFromUnconditionalTowardsConditional() {
        // rows: uncond 0, uncond 1, cond 0, cond 1
        Tensor batched = Tensor.of(new float[] {1, 2, 10, 20, 3, 2, 11, 25}, 4, 2);
        Tensor guided = new ClassifierFreeGuidance(4.0).combine(batched);
        assertThat(guided.shape()).containsExactly(2, 2);
        assertThat(guided.data()).containsExactly(1 + 4 * 2, 2 + 4 * 0, 10 + 4 * 1, 20 + 4 * 5);
        assertThat(new ClassifierFreeGuidance(1.0).combine(batched).data()).containsExactly(3, 2, 11, 25);
        assertThat(new ClassifierFreeGuidance(1.0).enabled()).isFalse();
        assertThat(new ClassifierFreeGuidance(3.0).enabled()).isTrue();
    }

    @Test
    void guidesEpsilonAndKeepsTheConditionalVariance() {
        // [2N=2, C=2 (1 eps + 1 variance), 1, 2]
        Tensor batched = Tensor.of(new float[] {
                0, 1, /* uncond variance */ 7, 7,
                2, 2, /* cond variance */ 0.5f, -0.5f}, 2, 2, 1, 2);
        Tensor guided = new ClassifierFreeGuidance(3.0).combineChannels(batched, 1);
        assertThat(guided.shape()).containsExactly(1, 2, 1, 2);
        assertThat(guided.data()).containsExactly(6, 4, 0.5f, -0.5f);
    }

    @Test
    void needsPairedRows() {
        assertThatThrownBy(() -> new ClassifierFreeGuidance(2).combine(Tensor.zeros(3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[uncond; cond]");
        assertThatThrownBy(() -> new ClassifierFreeGuidance(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
