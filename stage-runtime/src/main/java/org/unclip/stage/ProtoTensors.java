package org.unclip.stage;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import java.util.List;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.Tensor;
import org.unclip.core.tensor.WireTensor.MalformedTensorException;
import org.unclip.core.tensor.WireTensor;

/**
 * Wire tensors to and from core tensors, with validation: the {@code unclip.v1.Tensor} message
 * ({@code repeated int64 shape; bytes data}, packed little-endian float32) and the
 * {@code unclip.v1.TextEncoding} message made of three of them.
 *
 * <p>Each stage generates its own classes from {@code proto/}, so this works on any message with
 * those fields, through the protobuf descriptors.
 */
public final class ProtoTensors {

    private ProtoTensors() {}

    /** Fills a {@code Tensor} message builder with {@code tensor}'s shape and data. */
    public static <B extends Message.Builder> B toProto(Tensor tensor, B builder) {
        Descriptor type = builder.getDescriptorForType();
        FieldDescriptor shape = field(type, "shape");
        for (long d : tensor.shape()) {
            builder.addRepeatedField(shape, d);
        }
        builder.setField(field(type, "data"), ByteString.copyFrom(WireTensor.toLittleEndian(tensor)));
        return builder;
    }

    /**
     * Decodes a {@code Tensor} message, which must have the {@code expected} shape (-1 = any) and
     * finite values.
     *
     * @throws InvalidRequestException naming {@code field} when it does not
     */
    public static Tensor fromProto(MessageOrBuilder proto, String field, long... expected) {
        try {
            return wire(proto).decode(field, expected);
        } catch (MalformedTensorException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    /**
     * Decodes a {@code TextEncoding} message of batch {@code batch} (-1 = any), dimension d,
     * length l, width w.
     *
     * @throws InvalidRequestException naming {@code field} when it does not fit
     */
    public static TextConditioning textConditioning(MessageOrBuilder proto, String field, long batch, int d, int l,
            int w) {
        try {
            return TextConditioning.decode(field, wire(part(proto, "text_embeds")),
                    wire(part(proto, "last_hidden_state")), wire(part(proto, "attention_mask")), batch, d, l, w);
        } catch (MalformedTensorException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    private static MessageOrBuilder part(MessageOrBuilder proto, String name) {
        return (MessageOrBuilder) proto.getField(field(proto.getDescriptorForType(), name));
    }

    private static WireTensor wire(MessageOrBuilder proto) {
        Descriptor type = proto.getDescriptorForType();
        List<?> shape = (List<?>) proto.getField(field(type, "shape"));
        long[] dims = new long[shape.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = (Long) shape.get(i);
        }
        ByteString data = (ByteString) proto.getField(field(type, "data"));
        return new WireTensor(dims, data.asReadOnlyByteBuffer());
    }

    private static FieldDescriptor field(Descriptor type, String name) {
        FieldDescriptor f = type.findFieldByName(name);
        if (f == null) {
            throw new IllegalArgumentException(type.getFullName() + " has no field " + name);
        }
        return f;
    }
}
