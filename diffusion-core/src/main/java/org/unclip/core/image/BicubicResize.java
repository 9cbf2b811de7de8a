package org.unclip.core.image;

import java.util.Arrays;
import org.unclip.core.tensor.Tensor;

/**
 * Bicubic resizing identical to torch's
 * {@code F.interpolate(x, size, mode="bicubic", align_corners=False, antialias=True)}: the separable
 * antialiased kernel of PIL (Keys cubic with a = −0.5, stretched by the scale when shrinking, taps
 * outside the image dropped and the rest renormalised), applied along the width first and then the
 * height, in float32. Upsampling uses the same kernel unstretched (a = −0.5; not the a = −0.75,
 * edge-replicating path of {@code antialias=False}).
 */
public final class BicubicResize {

    private static final int CUBIC_TAPS = 4;
    private static final float A = -0.5f;

    private BicubicResize() {}

    /** Resizes {@code [B,C,H,W]} (or {@code [C,H,W]}) images to {@code outHeight × outWidth}. */
    public static Tensor resize(Tensor images, int outHeight, int outWidth) {
        long[] s = images.shape();
        if (s.length != 3 && s.length != 4) {
            throw new IllegalArgumentException("expected [B,C,H,W] or [C,H,W], got " + Arrays.toString(s));
        }
        if (outHeight <= 0 || outWidth <= 0) {
            throw new IllegalArgumentException("output size must be positive, got " + outHeight + "x" + outWidth);
        }
        int h = (int) s[s.length - 2];
        int w = (int) s[s.length - 1];
        int planes = (int) (images.size() / ((long) h * w));
        float[] x = images.data();
        if (w != outWidth) {
            x = resizeRows(x, planes * h, w, outWidth);
        }
        if (h != outHeight) {
            x = resizeColumns(x, planes, h, outWidth, outHeight);
        }
        long[] out = s.clone();
        out[s.length - 2] = outHeight;
        out[s.length - 1] = outWidth;
        return new Tensor(out, x);
    }

    /** Resizes square images to {@code size × size}. */
    public static Tensor resize(Tensor images, int size) {
        return resize(images, size, size);
    }

    /** Horizontal pass: {@code rows} rows of {@code in} values each become {@code out} values. */
    private static float[] resizeRows(float[] x, int rows, int in, int out) {
        Taps taps = Taps.of(in, out);
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            int base = r * in;
            for (int o = 0; o < out; o++) {
                int min = taps.min[o];
                int off = o * taps.stride;
                float acc = x[base + min] * taps.weights[off];
                for (int k = 1; k < taps.size[o]; k++) {
                    acc += x[base + min + k] * taps.weights[off + k];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    /** Vertical pass over {@code planes} planes of {@code in × width} values. */
    private static float[] resizeColumns(float[] x, int planes, int in, int width, int out) {
        Taps taps = Taps.of(in, out);
        float[] y = new float[planes * out * width];
        for (int p = 0; p < planes; p++) {
            int src = p * in * width;
            int dst = p * out * width;
            for (int o = 0; o < out; o++) {
                int min = taps.min[o];
                int off = o * taps.stride;
                for (int c = 0; c < width; c++) {
                    float acc = x[src + min * width + c] * taps.weights[off];
                    for (int k = 1; k < taps.size[o]; k++) {
                        acc += x[src + (min + k) * width + c] * taps.weights[off + k];
                    }
                    y[dst + o * width + c] = acc;
                }
            }
        }
        return y;
    }

    /** Keys' cubic convolution kernel with a = −0.5, in float like torch's {@code aa_filter}. */
    static float cubic(float x) {
        if (x < 0f) {
            x = -x;
        }
        if (x < 1f) {
            return ((A + 2f) * x - (A + 3f)) * x * x + 1f;
        }
        if (x < 2f) {
            return ((A * x - 5f * A) * x + 8f * A) * x - 4f * A;
        }
        return 0f;
    }

    /** For each output index: the first input index, the tap count and the normalised weights. */
    private record Taps(int[] min, int[] size, float[] weights, int stride) {

        static Taps of(int in, int out) {
            float scale = (float) in / out;
            float support = scale >= 1f ? (CUBIC_TAPS * 0.5f) * scale : CUBIC_TAPS * 0.5f;
            int stride = (int) Math.ceil(support) * 2 + 1;
            float invScale = scale >= 1f ? 1f / scale : 1f;
            int[] min = new int[out];
            int[] size = new int[out];
            float[] weights = new float[out * stride];
            for (int i = 0; i < out; i++) {
                float center = (float) (scale * (i + 0.5));
                int lo = Math.max((int) (center - support + 0.5), 0);
                int n = Math.min((int) (center + support + 0.5), in) - lo;
                float total = 0f;
                for (int j = 0; j < n; j++) {
                    float w = cubic((float) (((float) (j + lo) - center + 0.5) * invScale));
                    weights[i * stride + j] = w;
                    total += w;
                }
                if (total != 0f) {
                    for (int j = 0; j < n; j++) {
                        weights[i * stride + j] /= total;
                    }
                }
                min[i] = lo;
                size[i] = n;
            }
            return new Taps(min, size, weights, stride);
        }
    }
}
