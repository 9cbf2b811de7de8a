package org.unclip.decoder;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.unclip.api.v1.TextEncoding;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.Tensor;

/** Wire tensors (shape + packed little-endian float32) to and from core tensors, with validation. */
final class ProtoTensors {

    private ProtoTensors() {}

    static org.unclip.api.v1.Tensor toProto(Tensor tensor) {
        ByteBuffer bytes = ByteBuffer.allocate(tensor.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(tensor.data());
        org.unclip.api.v1.Tensor.Builder proto = org.unclip.api.v1.Tensor.newBuilder();
        for (long d : tensor.shape()) {
            proto.addShape(d);
        }
        return proto.setData(ByteString.copyFrom(bytes.array())).build();
    }

    /**
     * Decodes {@code proto}, which must have exactly {@code expected} as its shape (-1 = any extent)
     * and finite values.
     */
    static Tensor fromProto(org.unclip.api.v1.Tensor proto, String field, long... expected) {
        long[] shape = proto.getShapeList().stream().mapToLong(Long::longValue).toArray();
        if (shape.length == 0) {
            throw new InvalidRequestException(field + " is missing; expected a float32 tensor " + describe(expected));
        }
        boolean ok = shape.length == expected.length;
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            ok &= shape[i] > 0 && (i >= expected.length || expected[i] < 0 || expected[i] == shape[i]);
            count = shape[i] > 0 && count <= Integer.MAX_VALUE ? count * shape[i] : Long.MAX_VALUE;
        }
        if (!ok) {
            throw new InvalidRequestException(field + " has shape " + Arrays.toString(shape) + "; expected "
                    + describe(expected));
        }
        if (count > Integer.MAX_VALUE / Float.BYTES || proto.getData().size() != count * Float.BYTES) {
            throw new InvalidRequestException(field + " has shape " + Arrays.toString(shape) + " but "
                    + proto.getData().size() + " bytes of data; expected " + count * Float.BYTES
                    + " (little-endian float32)");
        }
        float[] data = new float[(int) count];
        proto.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        for (float v : data) {
            if (!Float.isFinite(v)) {
                throw new InvalidRequestException(field + " contains a non-finite value (" + v + ")");
            }
        }
        return new Tensor(shape, data);
    }

    /**
     * Decodes a text encoding of batch {@code batch} (or any batch when -1), sequence length
     * {@code l}, embedding dimension {@code d} and width {@code w}.
     */
    static TextConditioning textConditioning(TextEncoding proto, String field, long batch, int d, int l, int w) {
        Tensor embeds = fromProto(proto.getTextEmbeds(), field + ".text_embeds", batch, d);
        long b = embeds.dim(0);
        Tensor hidden = fromProto(proto.getLastHiddenState(), field + ".last_hidden_state", b, l, w);
        Tensor mask = fromProto(proto.getAttentionMask(), field + ".attention_mask", b, l);
        for (int i = 0; i < mask.size(); i++) {
            float m = mask.get(i);
            if (m != 0f && m != 1f) {
                throw new InvalidRequestException(field + ".attention_mask must hold only 0 and 1, found " + m);
            }
        }
        return new TextConditioning(embeds, hidden, BoolTensor.nonZero(mask));
    }

    private static String describe(long[] expected) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < expected.length; i++) {
            sb.append(i > 0 ? ", " : "").append(expected[i] < 0 ? "B" : String.valueOf(expected[i]));
        }
        return sb.append("]").toString();
    }
}
