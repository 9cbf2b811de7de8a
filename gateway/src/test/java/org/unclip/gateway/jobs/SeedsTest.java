package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeedsTest {

    @Test
    void splitmix64_matchesTheReferenceSequence() {
        // SplitMix64 seeded with 0 (Vigna's reference implementation): the first output is the
        // finaliser applied to 0 + golden gamma.
        assertThat(Seeds.splitmix64(0)).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(Seeds.splitmix64(0x9E3779B97F4A7C15L)).isEqualTo(0x6E789E6AA1B965F4L);
    }

    @Test
    void imageZero_keepsTheRequestSeed_evenNegativeOrHuge() {
        assertThat(Seeds.derive(42, 0)).isEqualTo(42);
        assertThat(Seeds.derive(-1, 0)).isEqualTo(-1);
        assertThat(Seeds.derive(Long.MAX_VALUE, 0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void laterImages_areSplitmixOfSeedPlusIndex_maskedTo53Bits() {
        long seed = 42;
        assertThat(Seeds.derive(seed, 1)).isEqualTo(Seeds.splitmix64(43) & ((1L << 53) - 1));
        assertThat(Seeds.derive(Long.MAX_VALUE, 1)).isEqualTo(Seeds.splitmix64(Long.MIN_VALUE) & ((1L << 53) - 1));
    }

    @Test
    void seedsOfOneRequest_areDistinct_deterministic_andJsonSafe() {
        long[] seeds = Seeds.forImages(123456789L, 10);

        assertThat(seeds).hasSize(10).doesNotHaveDuplicates().startsWith(123456789L);
        assertThat(Seeds.forImages(123456789L, 10)).isEqualTo(seeds);
        assertThat(Arrays.stream(seeds).skip(1)).allSatisfy(s -> assertThat(s).isBetween(0L, Seeds.MAX_GENERATED_SEED));
    }

    @Test
    void drawnSeeds_areNonNegativeAndBelow2To53() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
            assertThat(Seeds.draw(random)).isBetween(0L, Seeds.MAX_GENERATED_SEED);
        }
    }

    @Test
    void negativeIndex_isRejected() {
        assertThatThrownBy(() -> Seeds.derive(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
