package org.unclip.core.noise;

import java.util.Arrays;
import org.unclip.core.tensor.Tensor;

/**
 * Where a pipeline gets its standard normal noise: {@link #seeded()} in production; tests and
 * parity checks inject their own (for example x_T dumped from a reference run).
 */
@FunctionalInterface
public interface NoiseSource {

    /**
     * The noise of one step of one stage for a batch: shape {@code [seeds.length, rowShape...]}.
     * Stage and step numbering as in {@link SeededNoise}.
     */
    Tensor draw(long[] seeds, int stage, int step, long[] rowShape);

    /** {@link SeededNoise}. */
    static NoiseSource seeded() {
        return SeededNoise::batch;
    }

    /** This source, except that the initial noise x_T of {@code stage} is {@code initial}. */
    default NoiseSource withInitial(int stage, Tensor initial) {
        NoiseSource base = this;
        return (seeds, k, step, rowShape) -> {
            if (k != stage || step != SeededNoise.INITIAL) {
                return base.draw(seeds, k, step, rowShape);
            }
            long[] expected = new long[rowShape.length + 1];
            expected[0] = seeds.length;
            System.arraycopy(rowShape, 0, expected, 1, rowShape.length);
            if (!Arrays.equals(initial.shape(), expected)) {
                throw new IllegalArgumentException("initial noise of stage " + stage + " must be "
                        + Arrays.toString(expected) + ", got " + Arrays.toString(initial.shape()));
            }
            return initial;
        };
    }
}
