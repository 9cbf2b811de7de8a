package org.unclip.textencoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.unclip.core.family.ImageEncoderSpec;
import org.unclip.core.image.BicubicResize;
import org.unclip.core.tensor.Tensor;

class ClipImageInputTest {

    private static final ImageEncoderSpec SPEC =
            new ImageEncoderSpec(Path.of("image_encoder.onnx"), 20, new float[] {0.5f, 0.5f, 0.5f},
                    new float[] {0.5f, 0.5f, 0.5f});

    /** [3,h,w]: red (1,−1,−1) where {@code red} says so, blue (−1,−1,1) elsewhere. */
    private static Tensor twoColour(int h, int w, java.util.function.BiPredicate<Integer, Integer> red) {
        float[] d = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean r = red.test(y, x);
                d[y * w + x] = r ? 1f : -1f;
                d[h * w + y * w + x] = -1f;
                d[2 * h * w + y * w + x] = r ? -1f : 1f;
            }
        }
        return Tensor.of(d, 3, h, w);
    }

    @Test
    void aSquareImageIsOnlyResized() {
        Tensor img = twoColour(64, 64, (y, x) -> x < 17);
        Tensor out = ClipImageInput.of(img, SPEC);
        assertThat(out.shape()).containsExactly(1, 3, 20, 20);
        float[] expected = BicubicResize.resize(img.reshape(1, 3, 64, 64), 20, 20).data();
        for (int i = 0; i < expected.length; i++) {
            expected[i] = ((expected[i] + 1f) * 0.5f - 0.5f) / 0.5f;
        }
        assertThat(out.data()).containsExactly(expected);
    }

    @Test
    void aWideImageLosesItsSidesNotItsProportions() {
        // 40 x 80: red bands in the outer quarters, a blue square in the middle; CLIP keeps the square
        Tensor out = ClipImageInput.of(twoColour(40, 80, (y, x) -> x < 20 || x >= 60), SPEC);
        float[] d = out.data();
        int plane = 20 * 20;
        for (int y = 0; y < 20; y++) {
            for (int x = 2; x < 18; x++) {
                assertThat(d[y * 20 + x]).as("red at %d,%d", y, x).isCloseTo(-1f, within(1e-5f));
                assertThat(d[2 * plane + y * 20 + x]).as("blue at %d,%d", y, x).isCloseTo(1f, within(1e-5f));
            }
        }
        Tensor resized = BicubicResize.resize(twoColour(40, 80, (y, x) -> x < 20 || x >= 60).reshape(1, 3, 40, 80), 20, 40);
        assertThat(d[5 * 20]).isEqualTo(resized.data()[5 * 40 + 10]);
    }

    @Test
    void aTallImageLosesItsTopAndBottom() {
        // 90 x 30: a red top and bottom, blue between rows 30 and 60; the crop takes rows 30..59
        Tensor out = ClipImageInput.of(twoColour(90, 30, (y, x) -> y < 30 || y >= 60), SPEC);
        assertThat(out.shape()).containsExactly(1, 3, 20, 20);
        float[] d = out.data();
        for (int y = 2; y < 18; y++) {
            assertThat(d[2 * 400 + y * 20 + 10]).isCloseTo(1f, within(1e-5f));
        }
        // normalisation: mean 0 and std 1 leave the [0, 1] pixel
        ImageEncoderSpec unit = new ImageEncoderSpec(Path.of("x"), 20, new float[3], new float[] {1f, 1f, 1f});
        assertThat(ClipImageInput.of(twoColour(90, 30, (y, x) -> false), unit).data()[2 * 400 + 210])
                .isCloseTo(1f, within(1e-6f));
    }
}
