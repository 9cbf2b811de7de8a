package org.unclip.prior;

import com.google.protobuf.ByteString;
import org.unclip.api.v1.TextEncoding;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.Tensor;
import org.unclip.core.tensor.WireTensor;
import org.unclip.core.tensor.WireTensor.MalformedTensorException;

/** Wire tensors (shape + packed little-endian float32) to and from core tensors, with validation. */
final class ProtoTensors {

    private ProtoTensors() {}

    static org.unclip.api.v1.Tensor toProto(Tensor tensor) {
        return org.unclip.api.v1.Tensor.newBuilder()
                .addAllShape(java.util.Arrays.stream(tensor.shape()).boxed().toList())
                .setData(ByteString.copyFrom(WireTensor.toLittleEndian(tensor)))
                .build();
    }

    /** Decodes {@code proto}, which must have the {@code expected} shape (-1 = any) and finite values. */
    static Tensor fromProto(org.unclip.api.v1.Tensor proto, String field, long... expected) {
        try {
            return wire(proto).decode(field, expected);
        } catch (MalformedTensorException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    /** Decodes a text encoding of batch {@code batch} (-1 = any), dimension d, length l, width w. */
    static TextConditioning textConditioning(TextEncoding proto, String field, long batch, int d, int l, int w) {
        try {
            return TextConditioning.decode(field, wire(proto.getTextEmbeds()), wire(proto.getLastHiddenState()),
                    wire(proto.getAttentionMask()), batch, d, l, w);
        } catch (MalformedTensorException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    private static WireTensor wire(org.unclip.api.v1.Tensor proto) {
        return new WireTensor(proto.getShapeList().stream().mapToLong(Long::longValue).toArray(),
                proto.getData().asReadOnlyByteBuffer());
    }
}
