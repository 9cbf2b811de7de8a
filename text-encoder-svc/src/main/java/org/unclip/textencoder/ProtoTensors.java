package org.unclip.textencoder;

import com.google.protobuf.ByteString;
import org.unclip.core.tensor.Tensor;
import org.unclip.core.tensor.WireTensor;

/** Converts between core tensors and the wire format: shape plus packed little-endian float32. */
final class ProtoTensors {

    private ProtoTensors() {}

    static org.unclip.api.v1.Tensor toProto(Tensor tensor) {
        return org.unclip.api.v1.Tensor.newBuilder()
                .addAllShape(java.util.Arrays.stream(tensor.shape()).boxed().toList())
                .setData(ByteString.copyFrom(WireTensor.toLittleEndian(tensor)))
                .build();
    }

    static org.unclip.api.v1.TextEncoding toProto(TextEncoding encoding) {
        return org.unclip.api.v1.TextEncoding.newBuilder()
                .setTextEmbeds(toProto(encoding.textEmbeds()))
                .setLastHiddenState(toProto(encoding.lastHiddenState()))
                .setAttentionMask(toProto(encoding.attentionMask()))
                .build();
    }
}
