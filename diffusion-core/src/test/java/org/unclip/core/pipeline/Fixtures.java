package org.unclip.core.pipeline;

import org.unclip.core.noise.SeededNoise;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.Tensor;

/** Small text conditionings for pipeline tests. */
final class Fixtures {

    static final int D = 4;
    static final int L = 3;
    static final int W = 2;

    private Fixtures() {}

    /** A conditioning whose every value is {@code marker} + a small seeded offset, batch {@code b}. */
    static TextConditioning text(float marker, int b, boolean[] maskRow) {
        long[] seeds = new long[b];
        for (int i = 0; i < b; i++) {
            seeds[i] = (long) (marker * 1000) + i;
        }
        Tensor embeds = plus(SeededNoise.batch(seeds, 50, 0, D), marker);
        Tensor hidden = plus(SeededNoise.batch(seeds, 51, 0, L, W), marker);
        boolean[] mask = new boolean[b * L];
        for (int i = 0; i < b; i++) {
            System.arraycopy(maskRow, 0, mask, i * L, L);
        }
        return new TextConditioning(embeds, hidden, BoolTensor.of(mask, b, L));
    }

    static Tensor plus(Tensor t, float k) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] += k;
        }
        return new Tensor(t.shape(), d);
    }

    static Tensor scaled(Tensor t, float k) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] *= k;
        }
        return new Tensor(t.shape(), d);
    }
}
