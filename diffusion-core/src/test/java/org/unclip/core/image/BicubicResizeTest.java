package org.unclip.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.unclip.core.Goldens;
import org.unclip.core.tensor.Tensor;

class BicubicResizeTest {

    private static final Goldens GOLDENS = Goldens.load("bicubic.txt");

    @ParameterizedTest
    @ValueSource(strings = {"up_8_to_20", "up_32_to_64", "up_5x7_to_11x16", "down_64_to_24", "down_32x40_to_9x13"})
    void matchesTorchAntialiasedBicubic(String name) {
        Tensor in = GOLDENS.get(name + ".in");
        Tensor expected = GOLDENS.get(name + ".out");
        long[] s = expected.shape();
        Tensor actual = BicubicResize.resize(in, (int) s[2], (int) s[3]);
        assertThat(actual.shape()).containsExactly(s);
        float worst = 0;
        for (int i = 0; i < actual.size(); i++) {
            worst = Math.max(worst, Math.abs(actual.get(i) - expected.get(i)));
        }
        assertThat(worst).as("largest difference from torch").isLessThan(2e-6f);
    }

    @Test
    void keepsConstantImagesConstant() {
        Tensor flat = Tensor.filled(0.25f, 1, 3, 7, 7);
        Tensor up = BicubicResize.resize(flat, 32);
        Tensor down = BicubicResize.resize(BicubicResize.resize(flat, 64), 5);
        for (int i = 0; i < up.size(); i++) {
            assertThat(up.get(i)).isCloseTo(0.25f, within(1e-6f));
        }
        for (int i = 0; i < down.size(); i++) {
            assertThat(down.get(i)).isCloseTo(0.25f, within(1e-6f));
        }
    }

    @Test
    void sameSizeIsTheIdentity() {
        Tensor x = GOLDENS.get("up_8_to_20.in");
        assertThat(BicubicResize.resize(x, 8, 8)).isEqualTo(x);
    }

    @Test
    void upsamplingUsesTheSharperKernelNotPlainReplication() {
        // A step edge: a = -0.5 overshoots a little (ringing); nearest/bilinear would not.
        float[] d = new float[8];
        for (int i = 4; i < 8; i++) {
            d[i] = 1f;
        }
        Tensor edge = Tensor.of(d, 1, 1, 1, 8);
        Tensor up = BicubicResize.resize(edge, 1, 32);
        float max = Float.NEGATIVE_INFINITY;
        float min = Float.POSITIVE_INFINITY;
        for (int i = 0; i < up.size(); i++) {
            max = Math.max(max, up.get(i));
            min = Math.min(min, up.get(i));
        }
        assertThat(max).isGreaterThan(1f);
        assertThat(min).isLessThan(0f);
    }

    @Test
    void kernelIsKeysWithAMinusHalf() {
        assertThat(BicubicResize.cubic(0f)).isEqualTo(1f);
        assertThat(BicubicResize.cubic(1f)).isEqualTo(0f);
        assertThat(BicubicResize.cubic(2f)).isEqualTo(0f);
        assertThat(BicubicResize.cubic(0.5f)).isEqualTo(0.5625f);
        assertThat(BicubicResize.cubic(-1.5f)).isEqualTo(-0.0625f);
    }
}
