package org.unclip.gateway.stages;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import org.unclip.api.v1.Tensor;
import org.unclip.api.v1.TextEncoding;

/** Wire tensors (shape + little-endian float32) as rows of floats, and back. */
final class EmbeddingTensors {

    private EmbeddingTensors() {}

    /**
     * The rows of a {@code [B, D]} tensor a stage answered.
     *
     * @param stage names the stage in the error when the tensor is not {@code [rows, D]}
     * @throws StageException INTERNAL when the shape or the data length is not as expected
     */
    static float[][] rows(Tensor tensor, int rows, String stage, String what) {
        if (tensor.getShapeCount() != 2
                || tensor.getShape(0) != rows
                || tensor.getShape(1) < 1
                || tensor.getData().size() != rows * tensor.getShape(1) * 4) {
            throw new StageException(
                    stage,
                    Status.INTERNAL.withDescription(
                            what + " has shape " + tensor.getShapeList() + " and " + tensor.getData().size()
                                    + " bytes, expected [" + rows + ", D] float32"),
                    1,
                    null);
        }
        int d = (int) tensor.getShape(1);
        FloatBuffer data = tensor.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[][] out = new float[rows][d];
        for (float[] row : out) {
            data.get(row);
        }
        return out;
    }

    /** A {@code [rows, D]} tensor. */
    static Tensor matrix(List<float[]> rows) {
        int d = rows.get(0).length;
        ByteBuffer data = ByteBuffer.allocate(rows.size() * d * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) {
            if (row.length != d) {
                throw new IllegalArgumentException("rows of different lengths: " + d + " and " + row.length);
            }
            for (float x : row) {
                data.putFloat(x);
            }
        }
        return Tensor.newBuilder().addShape(rows.size()).addShape(d).setData(ByteString.copyFrom(data.array())).build();
    }

    /** Row {@code i} of a tensor of any rank, as a tensor with batch 1. */
    static Tensor row(Tensor tensor, int i) {
        long batch = tensor.getShape(0);
        int bytesPerRow = (int) (tensor.getData().size() / batch);
        Tensor.Builder out =
                Tensor.newBuilder().addShape(1).setData(tensor.getData().substring(i * bytesPerRow, (i + 1) * bytesPerRow));
        for (int axis = 1; axis < tensor.getShapeCount(); axis++) {
            out.addShape(tensor.getShape(axis));
        }
        return out.build();
    }

    /** Prompt {@code i} of a text encoding, as an encoding of batch 1. */
    static TextEncoding row(TextEncoding encoding, int i) {
        return TextEncoding.newBuilder()
                .setTextEmbeds(row(encoding.getTextEmbeds(), i))
                .setLastHiddenState(row(encoding.getLastHiddenState(), i))
                .setAttentionMask(row(encoding.getAttentionMask(), i))
                .build();
    }
}
