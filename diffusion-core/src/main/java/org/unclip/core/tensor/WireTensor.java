package org.unclip.core.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A float32 tensor as it travels between services: a shape and packed little-endian bytes. Turns
 * into a {@link Tensor} only after its shape, byte count and values have been checked, so that a
 * service can answer a malformed request with a message that names the field and what was
 * expected.
 *
 * @param shape the sender's shape
 * @param data the sender's bytes (little-endian float32, row-major)
 */
public record WireTensor(long[] shape, ByteBuffer data) {

    /** Marks an extent that may take any positive value (the batch axis, usually). */
    public static final long ANY = -1;

    public WireTensor {
        shape = shape.clone();
        data = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The wire form of {@code tensor}. */
    public static WireTensor of(Tensor tensor) {
        return new WireTensor(tensor.shape(), ByteBuffer.wrap(toLittleEndian(tensor)));
    }

    /** Packed little-endian float32 bytes of {@code tensor}. */
    public static byte[] toLittleEndian(Tensor tensor) {
        ByteBuffer bytes = ByteBuffer.allocate(tensor.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(tensor.data());
        return bytes.array();
    }

    /**
     * Decodes this tensor, which must have exactly the {@code expected} shape ({@link #ANY} = any
     * positive extent), one float32 per element and only finite values.
     *
     * @param field the name the message uses for this tensor
     * @throws MalformedTensorException naming {@code field} and what was expected
     */
    public Tensor decode(String field, long... expected) {
        if (shape.length == 0) {
            throw new MalformedTensorException(field + " is missing; expected a float32 tensor " + describe(expected));
        }
        boolean ok = shape.length == expected.length;
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            ok &= shape[i] > 0 && (i >= expected.length || expected[i] == ANY || expected[i] == shape[i]);
            count = shape[i] > 0 && count <= Integer.MAX_VALUE ? count * shape[i] : Long.MAX_VALUE;
        }
        if (!ok) {
            throw new MalformedTensorException(field + " has shape " + Arrays.toString(shape) + "; expected "
                    + describe(expected));
        }
        if (count > Integer.MAX_VALUE / Float.BYTES || data.remaining() != count * Float.BYTES) {
            throw new MalformedTensorException(field + " has shape " + Arrays.toString(shape) + " but "
                    + data.remaining() + " bytes of data; expected " + count * Float.BYTES
                    + " (little-endian float32)");
        }
        float[] values = new float[(int) count];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new MalformedTensorException(field + " contains a non-finite value (" + v + ")");
            }
        }
        return new Tensor(shape, values);
    }

    private static String describe(long[] expected) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < expected.length; i++) {
            sb.append(i > 0 ? ", " : "").append(expected[i] == ANY ? "B" : String.valueOf(expected[i]));
        }
        return sb.append("]").toString();
    }

    /** A tensor from the wire that is not what the receiver expects; the message says why. */
    public static final class MalformedTensorException extends IllegalArgumentException {
        public MalformedTensorException(String message) {
            super(message);
        }
    }
}
