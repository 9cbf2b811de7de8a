package org.unclip.core.pipeline;

import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import org.unclip.core.tensor.Tensor;

/** Guards the pipelines apply between and after model calls. */
final class Checks {

    private Checks() {}

    static Tensor finite(Tensor t, String what) {
        int bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new NonFiniteOutputException(what + " produced a non-finite value (" + t.get(bad)
                    + " at element " + bad + " of " + Arrays.toString(t.shape()) + ")");
        }
        return t;
    }

    static Tensor shaped(Tensor t, String what, long... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalStateException(what + " returned " + Arrays.toString(t.shape()) + ", expected "
                    + Arrays.toString(expected));
        }
        return t;
    }

    static void notCancelled(BooleanSupplier cancelled, String stage) {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException(stage + " cancelled");
        }
    }

    static long[] seeds(java.util.List<Long> seeds) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("at least one seed is needed");
        }
        return seeds.stream().mapToLong(Long::longValue).toArray();
    }

    static Tensor clamp(Tensor t, float limit) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.min(Math.max(d[i], -limit), limit);
        }
        return Tensor.wrap(d, t.shape());
    }
}
