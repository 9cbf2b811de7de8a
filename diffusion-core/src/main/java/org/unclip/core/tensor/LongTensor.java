package org.unclip.core.tensor;

import java.util.Arrays;

/** A dense row-major int64 tensor (token ids, timesteps). Immutable; arrays are copied. */
public record LongTensor(long[] shape, long[] data) {

    public LongTensor {
        Shapes.checkData(shape, data == null ? -1 : data.length);
        shape = shape.clone();
        data = data.clone();
    }

    public static LongTensor of(long[] data, long... shape) {
        return new LongTensor(shape, data);
    }

    /** A 1-D tensor {@code [n]} with every element {@code value}: the timestep input of a batch. */
    public static LongTensor filled(long value, int n) {
        long[] d = new long[n];
        Arrays.fill(d, value);
        return new LongTensor(new long[] {n}, d);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public long[] data() {
        return data.clone();
    }

    public int batch() {
        return (int) shape[0];
    }

    public long get(int index) {
        return data[index];
    }

    public int size() {
        return data.length;
    }

    public LongTensor slice(int from, int to) {
        Shapes.checkRowRange(shape, from, to);
        int n = Shapes.rowSize(shape);
        return new LongTensor(Shapes.withBatch(shape, to - from), Arrays.copyOfRange(data, from * n, to * n));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LongTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "LongTensor" + Arrays.toString(shape);
    }
}
