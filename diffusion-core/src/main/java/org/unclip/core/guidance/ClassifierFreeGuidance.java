package org.unclip.core.guidance;

import org.unclip.core.tensor.Tensor;

/**
 * Classifier-free guidance over a model output batched as {@code [uncond; cond]} (the first half of
 * the batch unconditional, the second conditional, as in diffusers): {@code u + s·(c − u)}, in
 * float32. A scale of 1 means no guidance: callers then run the conditional rows alone.
 */
public record ClassifierFreeGuidance(double scale) {

    public ClassifierFreeGuidance {
        if (!Double.isFinite(scale)) {
            throw new IllegalArgumentException("guidance scale must be finite, got " + scale);
        }
    }

    /** Whether the model must also see the unconditional rows. */
    public boolean enabled() {
        return scale != 1.0;
    }

    /** Guides every channel (the prior's x0 output): {@code [2N,...] → [N,...]}. */
    public Tensor combine(Tensor batched) {
        int n = half(batched);
        float s = (float) scale;
        float[] x = batched.data();
        int half = x.length / 2;
        float[] out = new float[half];
        for (int i = 0; i < half; i++) {
            float u = x[i];
            float c = x[half + i];
            out[i] = u + s * (c - u);
        }
        long[] shape = batched.shape();
        shape[0] = n;
        return Tensor.wrap(out, shape);
    }

    /**
     * Guides the first {@code guidedChannels} channels (ε) of a {@code [2N,C,...]} output and keeps
     * the conditional rows' remaining channels (the learned variance) as they are: → {@code [N,C,...]}.
     */
    public Tensor combineChannels(Tensor batched, int guidedChannels) {
        int n = half(batched);
        long[] shape = batched.shape();
        if (shape.length < 2 || guidedChannels < 0 || guidedChannels > shape[1]) {
            throw new IllegalArgumentException("cannot guide " + guidedChannels + " channels of "
                    + java.util.Arrays.toString(shape));
        }
        int row = batched.rowSize();
        int guided = (int) (row / shape[1] * guidedChannels);
        float s = (float) scale;
        float[] x = batched.data();
        int half = x.length / 2;
        float[] out = new float[half];
        for (int b = 0; b < n; b++) {
            int uRow = b * row;
            int cRow = half + b * row;
            for (int j = 0; j < guided; j++) {
                float u = x[uRow + j];
                float c = x[cRow + j];
                out[b * row + j] = u + s * (c - u);
            }
            System.arraycopy(x, cRow + guided, out, b * row + guided, row - guided);
        }
        shape[0] = n;
        return Tensor.wrap(out, shape);
    }

    private static int half(Tensor batched) {
        int b = batched.batch();
        if (b == 0 || b % 2 != 0) {
            throw new IllegalArgumentException("a guided batch must hold [uncond; cond] rows, got batch " + b);
        }
        return b / 2;
    }
}
