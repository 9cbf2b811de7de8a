package org.unclip.core.noise;

import java.util.ArrayList;
import java.util.List;
import org.unclip.core.tensor.Tensor;

/**
 * Counter-based standard normal noise: element {@code e} of the noise for seed {@code s}, stage
 * {@code k} and step {@code i} is a pure function of {@code (s, k, i, e)}, so an image's noise never
 * depends on the batch it runs in, on threads, or on what ran before.
 *
 * <pre>
 * key   = splitmix64(splitmix64(splitmix64(s) ^ k) ^ i)
 * u1    = ((splitmix64(key ^ 2e) &gt;&gt;&gt; 11) + 1) · 2^-53      in (0, 1]
 * u2    =  (splitmix64(key ^ (2e+1)) &gt;&gt;&gt; 11) · 2^-53       in [0, 1)
 * noise = (float) (√(−2 ln u1) · cos(2π u2))                  Box–Muller in double
 * </pre>
 *
 * Stages: {@link #PRIOR} 0, {@link #DECODER} 1, upsampler j (0-based) {@code 2 + j}. Steps: 0 is
 * the initial x_T; j ≥ 1 is the noise added after loop iteration j (1-based). Elements are indexed
 * in row-major order of one image's tensor.
 */
public final class SeededNoise {

    public static final int PRIOR = 0;
    public static final int DECODER = 1;
    /** The step index of the initial noise x_T. */
    public static final int INITIAL = 0;

    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

    private SeededNoise() {}

    /** The stage index of the {@code index}-th (0-based) upsampler. */
    public static int upsampler(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("upsampler index must be >= 0, got " + index);
        }
        return 2 + index;
    }

    /** Steele, Lea &amp; Flood's SplitMix64 finaliser (wrapping 64-bit arithmetic). */
    public static long splitmix64(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The key of one (seed, stage, step) stream. */
    public static long key(long seed, int stage, int step) {
        return splitmix64(splitmix64(splitmix64(seed) ^ stage) ^ step);
    }

    /** Element {@code e} of the stream with the given key. */
    public static float element(long key, long e) {
        long u1Bits = splitmix64(key ^ (2 * e)) >>> 11;
        long u2Bits = splitmix64(key ^ (2 * e + 1)) >>> 11;
        double u1 = (u1Bits + 1) * TWO_POW_MINUS_53;
        double u2 = u2Bits * TWO_POW_MINUS_53;
        // Math's log and cos are the JIT's intrinsics (about twice StrictMath's speed); cast to float they agree
        // with StrictMath and with numpy on every element the goldens and a 2-million-element sweep checked
        return (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }

    /** The first {@code count} elements of one image's noise. */
    public static float[] sample(long seed, int stage, int step, int count) {
        long key = key(seed, stage, step);
        float[] out = new float[count];
        for (int e = 0; e < count; e++) {
            out[e] = element(key, e);
        }
        return out;
    }

    /**
     * A batch of noise, row {@code n} drawn from {@code seeds[n]}: shape {@code [seeds.length, rowShape...]}.
     */
    public static Tensor batch(long[] seeds, int stage, int step, long... rowShape) {
        long count = 1;
        for (long d : rowShape) {
            count = Math.multiplyExact(count, d);
        }
        List<float[]> rows = new ArrayList<>(seeds.length);
        for (long seed : seeds) {
            rows.add(sample(seed, stage, step, Math.toIntExact(count)));
        }
        return Tensor.ofRows(rows, rowShape);
    }
}
