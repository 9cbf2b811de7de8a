package org.unclip.textencoder;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.unclip.core.tensor.Tensor;

/** Converts between core tensors and the wire format: shape plus packed little-endian float32. */
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

    static org.unclip.api.v1.TextEncoding toProto(TextEncoding encoding) {
        return org.unclip.api.v1.TextEncoding.newBuilder()
                .setTextEmbeds(toProto(encoding.textEmbeds()))
                .setLastHiddenState(toProto(encoding.lastHiddenState()))
                .setAttentionMask(toProto(encoding.attentionMask()))
                .build();
    }
}
