package org.unclip.core.noise;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.unclip.core.Goldens;
import org.unclip.core.tensor.Tensor;

class SeededNoiseTest {

    private static final Goldens GOLDENS = Goldens.load("noise.txt");

    @Test
    void splitmixMatchesTheReferenceSequence() {
        // The first outputs of Vigna's SplitMix64 generator seeded with 0 are splitmix64(0), splitmix64(γ), ...
        assertThat(Long.toUnsignedString(SeededNoise.splitmix64(0))).isEqualTo("16294208416658607535");
        assertThat(Long.toUnsignedString(SeededNoise.splitmix64(0x9E3779B97F4A7C15L))).isEqualTo("7960286522194355700");
    }

    @Test
    void matchesThePythonReferenceBitForBit() {
        long bigSeed = new BigInteger("18446744073709551615").longValue(); // 2^64 - 1 = -1
        assertThat(SeededNoise.sample(0, 0, 0, 16)).containsExactly(GOLDENS.get("noise.0.0.0").data());
        assertThat(SeededNoise.sample(42, 1, 0, 48)).containsExactly(GOLDENS.get("noise.42.1.0").data());
        assertThat(SeededNoise.sample(42, 1, 3, 16)).containsExactly(GOLDENS.get("noise.42.1.3").data());
        assertThat(SeededNoise.sample(bigSeed, 2, 7, 16))
                .containsExactly(GOLDENS.get("noise.18446744073709551615.2.7").data());
        assertThat(SeededNoise.sample(9007199254740993L, 3, 1, 16))
                .containsExactly(GOLDENS.get("noise.9007199254740993.3.1").data());
        assertThat(SeededNoise.sample(20240601, 1, 0, 3 * 32 * 32)).containsExactly(GOLDENS.get("noise.many").data());
    }

    @Test
    void isDeterministicAndIndependentOfTheBatch() {
        Tensor batch = SeededNoise.batch(new long[] {5, 6, 5}, SeededNoise.DECODER, 2, 3, 8, 8);
        assertThat(batch.shape()).containsExactly(3, 3, 8, 8);
        assertThat(batch.rowData(0)).containsExactly(SeededNoise.sample(5, SeededNoise.DECODER, 2, 192));
        assertThat(batch.rowData(1)).containsExactly(SeededNoise.sample(6, SeededNoise.DECODER, 2, 192));
        assertThat(batch.rowData(2)).containsExactly(batch.rowData(0));
        // a longer draw starts with the shorter one
        assertThat(SeededNoise.sample(5, 1, 2, 400)).startsWith(SeededNoise.sample(5, 1, 2, 192));
    }

    @Test
    void seedStageAndStepEachChangeTheStream() {
        float[] base = SeededNoise.sample(5, 1, 2, 64);
        assertThat(SeededNoise.sample(6, 1, 2, 64)).isNotEqualTo(base);
        assertThat(SeededNoise.sample(5, 2, 2, 64)).isNotEqualTo(base);
        assertThat(SeededNoise.sample(5, 1, 3, 64)).isNotEqualTo(base);
        assertThat(SeededNoise.upsampler(0)).isEqualTo(2);
        assertThat(SeededNoise.upsampler(1)).isEqualTo(3);
    }

    @Test
    void isStandardNormal() {
        float[] x = SeededNoise.sample(1234, 0, 0, 200_000);
        double sum = 0;
        double sq = 0;
        int beyond2 = 0;
        for (float v : x) {
            assertThat(Float.isFinite(v)).isTrue();
            sum += v;
            sq += v * v;
            if (Math.abs(v) > 2) {
                beyond2++;
            }
        }
        double mean = sum / x.length;
        double var = sq / x.length - mean * mean;
        assertThat(mean).isBetween(-0.01, 0.01);
        assertThat(var).isBetween(0.98, 1.02);
        assertThat(beyond2 / (double) x.length).isBetween(0.042, 0.049); // P(|z| > 2) = 0.0455
    }
}
