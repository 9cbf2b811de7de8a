package org.unclip.core.tensor;

import java.util.Arrays;
import java.util.List;

/**
 * A dense row-major float32 tensor. The first axis is the batch axis; a "row" is one batch element.
 *
 * <p>Immutable: the arrays are copied on the way in and on the way out, so a tensor can be shared
 * between threads and kept as a preview without anyone changing it underneath. The sampling loops
 * avoid those copies where they would cost a full pass over an image per step: {@link #view()}
 * reads without copying, and {@link #wrap} hands a freshly made array over without copying it.
 */
public final class Tensor {

    private final long[] shape;
    private final float[] data;

    public Tensor(long[] shape, float[] data) {
        this(shape.clone(), data == null ? null : data.clone(), true);
    }

    private Tensor(long[] shape, float[] data, boolean owned) {
        Shapes.checkData(shape, data == null ? -1 : data.length);
        this.shape = shape;
        this.data = data;
    }

    /**
     * A tensor over {@code data} without copying it: the caller hands the array over and must not
     * change it afterwards.
     */
    public static Tensor wrap(float[] data, long... shape) {
        return new Tensor(shape.clone(), data, true);
    }

    /** The elements, row-major, read-only and without a copy. */
    public java.nio.FloatBuffer view() {
        return java.nio.FloatBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** A tensor of the given shape over {@code data} (copied). */
    public static Tensor of(float[] data, long... shape) {
        return new Tensor(shape, data);
    }

    public static Tensor zeros(long... shape) {
        return new Tensor(shape.clone(), new float[Shapes.elementCount(shape)], true);
    }

    public static Tensor filled(float value, long... shape) {
        float[] d = new float[Shapes.elementCount(shape)];
        Arrays.fill(d, value);
        return new Tensor(shape.clone(), d, true);
    }

    /**
     * Stacks equally sized rows into a batch: the result has shape {@code [rows.size(), rowShape...]}.
     */
    public static Tensor ofRows(List<float[]> rows, long... rowShape) {
        int rowSize = Shapes.elementCount(rowShape);
        float[] d = new float[Math.multiplyExact(rows.size(), rowSize)];
        for (int i = 0; i < rows.size(); i++) {
            float[] r = rows.get(i);
            if (r.length != rowSize) {
                throw new IllegalArgumentException("row " + i + " has " + r.length + " elements, expected "
                        + rowSize + " for row shape " + Arrays.toString(rowShape));
            }
            System.arraycopy(r, 0, d, i * rowSize, rowSize);
        }
        long[] shape = new long[rowShape.length + 1];
        shape[0] = rows.size();
        System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
        return new Tensor(shape, d, true);
    }

    /** Concatenates along the batch axis; all parts must agree on every other axis. */
    public static Tensor concat(Tensor... parts) {
        return concat(Arrays.asList(parts));
    }

    /** Concatenates along the batch axis; all parts must agree on every other axis. */
    public static Tensor concat(List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate");
        }
        long[] first = parts.get(0).shape;
        long batch = 0;
        int total = 0;
        for (Tensor t : parts) {
            checkSameRowShape(first, t.shape);
            batch += t.shape[0];
            total += t.data.length;
        }
        float[] d = new float[total];
        int at = 0;
        for (Tensor t : parts) {
            System.arraycopy(t.data, 0, d, at, t.data.length);
            at += t.data.length;
        }
        return new Tensor(Shapes.withBatch(first, batch), d, true);
    }

    /**
     * Concatenates two tensors along axis 1 (channels): {@code [B,C1,...]} and {@code [B,C2,...]}
     * give {@code [B,C1+C2,...]}.
     */
    public static Tensor concatChannels(Tensor a, Tensor b) {
        if (a.shape.length < 2 || a.shape.length != b.shape.length || a.shape[0] != b.shape[0]) {
            throw new IllegalArgumentException("cannot concatenate channels of " + Arrays.toString(a.shape)
                    + " and " + Arrays.toString(b.shape));
        }
        for (int i = 2; i < a.shape.length; i++) {
            if (a.shape[i] != b.shape[i]) {
                throw new IllegalArgumentException("cannot concatenate channels of "
                        + Arrays.toString(a.shape) + " and " + Arrays.toString(b.shape));
            }
        }
        int batch = (int) a.shape[0];
        int ra = a.rowSize();
        int rb = b.rowSize();
        float[] d = new float[a.data.length + b.data.length];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(a.data, i * ra, d, i * (ra + rb), ra);
            System.arraycopy(b.data, i * rb, d, i * (ra + rb) + ra, rb);
        }
        long[] shape = a.shape.clone();
        shape[1] = a.shape[1] + b.shape[1];
        return new Tensor(shape, d, true);
    }

    private static void checkSameRowShape(long[] a, long[] b) {
        boolean same = a.length == b.length;
        for (int i = 1; same && i < a.length; i++) {
            same = a[i] == b[i];
        }
        if (!same) {
            throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                    + " differ beyond the batch axis");
        }
    }

    public long[] shape() {
        return shape.clone();
    }

    /** A copy of the elements, row-major. */
    public float[] data() {
        return data.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    /** Extent of the first (batch) axis. */
    public int batch() {
        return (int) shape[0];
    }

    /** Total number of elements. */
    public int size() {
        return data.length;
    }

    /** Elements per batch row. */
    public int rowSize() {
        return Shapes.rowSize(shape);
    }

    /** Shape of one row: every axis after the batch axis. */
    public long[] rowShape() {
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    /** The element at a flat row-major index. */
    public float get(int index) {
        return data[index];
    }

    /** A copy of row {@code i}'s elements. */
    public float[] rowData(int i) {
        Shapes.checkRowRange(shape, i, i + 1);
        int n = rowSize();
        return Arrays.copyOfRange(data, i * n, (i + 1) * n);
    }

    /** Row {@code i} as a batch of one. */
    public Tensor row(int i) {
        return slice(i, i + 1);
    }

    /** Rows {@code [from, to)} along the batch axis. */
    public Tensor slice(int from, int to) {
        Shapes.checkRowRange(shape, from, to);
        int n = rowSize();
        return new Tensor(Shapes.withBatch(shape, to - from), Arrays.copyOfRange(data, from * n, to * n), true);
    }

    /**
     * This tensor with batch {@code n}: itself if it already has {@code n} rows, its single row
     * repeated if it has one.
     */
    public Tensor broadcastBatch(int n) {
        if (shape[0] == n) {
            return this;
        }
        if (shape[0] != 1) {
            throw new IllegalArgumentException("cannot broadcast batch " + shape[0] + " to " + n
                    + " (only batch 1 broadcasts)");
        }
        float[] d = new float[Math.multiplyExact(n, data.length)];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data, 0, d, i * data.length, data.length);
        }
        return new Tensor(Shapes.withBatch(shape, n), d, true);
    }

    /** The same elements under another shape with the same element count. */
    public Tensor reshape(long... newShape) {
        return new Tensor(newShape.clone(), data, true);
    }

    /** Index of the first NaN or infinite element, or -1 when every element is finite. */
    public int firstNonFinite() {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                return i;
            }
        }
        return -1;
    }

    public boolean isFinite() {
        return firstNonFinite() < 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
