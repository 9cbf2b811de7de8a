package org.unclip.textencoder;

import org.unclip.core.family.ImageEncoderSpec;
import org.unclip.core.image.BicubicResize;
import org.unclip.core.tensor.Tensor;

/**
 * One image made into the image encoder's {@code pixel_values} row, as CLIP's preprocessing does it
 * (models/CONTRACT.md, image inputs): the shorter side resized to S with the antialiased bicubic
 * filter (the longer one to ⌊S·long/short⌋), the centre S×S cropped (top ⌊(h−S)/2⌋, left
 * ⌊(w−S)/2⌋), then each channel normalised as ([0,1] pixel − mean) / std. A square image is simply
 * resized.
 */
final class ClipImageInput {

    private ClipImageInput() {}

    /**
     * @param rgb {@code [3,H,W]} in [−1, 1] (as {@code Png.decode} gives it)
     * @return {@code [1,3,S,S]}
     */
    static Tensor of(Tensor rgb, ImageEncoderSpec spec) {
        int s = spec.imageSize();
        int h = (int) rgb.dim(1);
        int w = (int) rgb.dim(2);
        int outH = h <= w ? s : (int) ((long) s * h / w);
        int outW = w <= h ? s : (int) ((long) s * w / h);
        Tensor resized = BicubicResize.resize(rgb.reshape(1, 3, h, w), outH, outW);
        float[] src = resized.data();
        int top = (outH - s) / 2;
        int left = (outW - s) / 2;
        float[] mean = spec.mean();
        float[] std = spec.std();
        float[] out = new float[3 * s * s];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < s; y++) {
                int from = (c * outH + top + y) * outW + left;
                int to = (c * s + y) * s;
                for (int x = 0; x < s; x++) {
                    // [-1, 1] -> [0, 1] -> (x - mean) / std
                    out[to + x] = ((src[from + x] + 1f) * 0.5f - mean[c]) / std[c];
                }
            }
        }
        return Tensor.of(out, 1, 3, s, s);
    }
}
