package org.unclip.core.tensor;

import java.util.Arrays;

/** Shape arithmetic shared by the tensor records. */
final class Shapes {

    private Shapes() {}

    /** Validates a shape (at least one axis, no negative extent) and returns its element count. */
    static int elementCount(long[] shape) {
        if (shape == null || shape.length == 0) {
            throw new IllegalArgumentException("shape must have at least one axis");
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative extent in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large");
        }
        return (int) n;
    }

    static void checkData(long[] shape, int dataLength) {
        int expected = elementCount(shape);
        if (expected != dataLength) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + expected
                    + " elements but data has " + dataLength);
        }
    }

    /** Elements per batch row: the product of every axis after the first. */
    static int rowSize(long[] shape) {
        long n = 1;
        for (int i = 1; i < shape.length; i++) {
            n *= shape[i];
        }
        return (int) n;
    }

    static long[] withBatch(long[] shape, long batch) {
        long[] s = shape.clone();
        s[0] = batch;
        return s;
    }

    static void checkRowRange(long[] shape, int from, int to) {
        if (from < 0 || to > shape[0] || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") outside batch " + shape[0]);
        }
    }

    static String describe(long[] shape) {
        return Arrays.toString(shape);
    }
}
