package org.unclip.core.tensor;

import java.util.Arrays;
import java.util.List;

/** A dense row-major boolean tensor (attention masks). Immutable; arrays are copied. */
public record BoolTensor(long[] shape, boolean[] data) {

    public BoolTensor {
        Shapes.checkData(shape, data == null ? -1 : data.length);
        shape = shape.clone();
        data = data.clone();
    }

    public static BoolTensor of(boolean[] data, long... shape) {
        return new BoolTensor(shape, data);
    }

    /** {@code true} wherever {@code mask} is non-zero (the proto carries masks as floats). */
    public static BoolTensor nonZero(Tensor mask) {
        boolean[] d = new boolean[mask.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = mask.get(i) != 0f;
        }
        return new BoolTensor(mask.shape(), d);
    }

    /** Concatenates along the batch axis. */
    public static BoolTensor concat(List<BoolTensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate");
        }
        long[] first = parts.get(0).shape;
        long batch = 0;
        int total = 0;
        for (BoolTensor t : parts) {
            if (t.shape.length != first.length
                    || !Arrays.equals(t.shape, 1, t.shape.length, first, 1, first.length)) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(first) + " and "
                        + Arrays.toString(t.shape) + " differ beyond the batch axis");
            }
            batch += t.shape[0];
            total += t.data.length;
        }
        boolean[] d = new boolean[total];
        int at = 0;
        for (BoolTensor t : parts) {
            System.arraycopy(t.data, 0, d, at, t.data.length);
            at += t.data.length;
        }
        return new BoolTensor(Shapes.withBatch(first, batch), d);
    }

    /**
     * Prepends {@code count} {@code true} columns to a {@code [B,L]} mask, giving {@code [B,count+L]}:
     * the decoder's mask over its extra context tokens followed by the text tokens.
     */
    public BoolTensor prependTrue(int count) {
        if (shape.length != 2) {
            throw new IllegalArgumentException("expected a [B,L] mask, got " + Arrays.toString(shape));
        }
        int b = (int) shape[0];
        int l = (int) shape[1];
        boolean[] d = new boolean[b * (count + l)];
        for (int i = 0; i < b; i++) {
            Arrays.fill(d, i * (count + l), i * (count + l) + count, true);
            System.arraycopy(data, i * l, d, i * (count + l) + count, l);
        }
        return new BoolTensor(new long[] {b, count + l}, d);
    }

    /** Itself if it has {@code n} rows; its single row repeated if it has one. */
    public BoolTensor broadcastBatch(int n) {
        if (shape[0] == n) {
            return this;
        }
        if (shape[0] != 1) {
            throw new IllegalArgumentException("cannot broadcast batch " + shape[0] + " to " + n);
        }
        boolean[] d = new boolean[n * data.length];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data, 0, d, i * data.length, data.length);
        }
        return new BoolTensor(Shapes.withBatch(shape, n), d);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean[] data() {
        return data.clone();
    }

    public int batch() {
        return (int) shape[0];
    }

    public boolean get(int index) {
        return data[index];
    }

    public int size() {
        return data.length;
    }

    public BoolTensor slice(int from, int to) {
        Shapes.checkRowRange(shape, from, to);
        int n = Shapes.rowSize(shape);
        return new BoolTensor(Shapes.withBatch(shape, to - from), Arrays.copyOfRange(data, from * n, to * n));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BoolTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "BoolTensor" + Arrays.toString(shape);
    }
}
