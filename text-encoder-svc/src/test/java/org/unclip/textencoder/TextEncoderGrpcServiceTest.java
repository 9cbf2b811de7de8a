package org.unclip.textencoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.EncodeImageRequest;
import org.unclip.api.v1.EncodeImageResponse;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.EncodeTextResponse;
import org.unclip.api.v1.Tensor;
import org.unclip.api.v1.TextEncoderServiceGrpc.TextEncoderServiceBlockingStub;

/** The text-encoder stage over real gRPC on loopback, running the family's ONNX graphs. */
@QuarkusTest
class TextEncoderGrpcServiceTest {

    @GrpcClient("self")
    TextEncoderServiceBlockingStub client;

    private TextEncoderServiceBlockingStub stub() {
        return client.withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Test
    void encodesPromptsAndTheEmptyPrompt() {
        EncodeTextResponse response = stub().encodeText(EncodeTextRequest.newBuilder()
                .addPrompts("a red circle on a blue background")
                .addPrompts("a large green square on the left on a white background")
                .build());

        assertThat(response.getConditional().getTextEmbeds().getShapeList()).containsExactly(2L, 64L);
        assertThat(response.getConditional().getLastHiddenState().getShapeList()).containsExactly(2L, 24L, 128L);
        assertThat(response.getConditional().getAttentionMask().getShapeList()).containsExactly(2L, 24L);
        assertThat(response.getUnconditional().getTextEmbeds().getShapeList()).containsExactly(1L, 64L);
        float[] mask = floats(response.getConditional().getAttentionMask());
        assertThat(sum(mask, 0, 24)).isEqualTo(9f); // SOT + 7 words + EOT
        assertThat(sum(floats(response.getUnconditional().getAttentionMask()), 0, 24)).isEqualTo(2f);
        float[] embeds = floats(response.getConditional().getTextEmbeds());
        assertThat(java.util.Arrays.copyOfRange(embeds, 0, 64))
                .isNotEqualTo(java.util.Arrays.copyOfRange(embeds, 64, 128));
    }

    @Test
    void aPromptEncodesTheSameAloneAndInABatch() {
        Tensor alone = stub().encodeText(EncodeTextRequest.newBuilder().addPrompts("a blue triangle").build())
                .getConditional().getTextEmbeds();
        Tensor batched = stub().encodeText(EncodeTextRequest.newBuilder()
                        .addPrompts("a yellow circle").addPrompts("a blue triangle").build())
                .getConditional().getTextEmbeds();

        float[] b = floats(batched);
        assertThat(java.util.Arrays.copyOfRange(b, 64, 128)).containsExactly(floats(alone));
    }

    @Test
    void encodesImages() throws IOException {
        EncodeImageResponse response = stub().encodeImage(EncodeImageRequest.newBuilder()
                .addImages(ByteString.copyFrom(png(Color.RED, 256)))
                .addImages(ByteString.copyFrom(png(Color.BLUE, 100)))
                .build());

        assertThat(response.getImageEmbeds().getShapeList()).containsExactly(2L, 64L);
        for (float v : floats(response.getImageEmbeds())) {
            assertThat(v).isFinite();
        }
    }

    @Test
    void rejectsAnEmptyRequest() {
        assertInvalid(() -> stub().encodeText(EncodeTextRequest.getDefaultInstance()), "at least one prompt");
        assertInvalid(() -> stub().encodeImage(EncodeImageRequest.getDefaultInstance()), "at least one");
    }

    @Test
    void rejectsAPromptThatIsTooLong() {
        assertInvalid(() -> stub().encodeText(EncodeTextRequest.newBuilder().addPrompts("x".repeat(1001)).build()),
                "longer than 1000");
    }

    @Test
    void rejectsBytesThatAreNoImage() {
        assertInvalid(() -> stub().encodeImage(EncodeImageRequest.newBuilder()
                .addImages(ByteString.copyFromUtf8("not an image")).build()), "image 0");
    }

    private static void assertInvalid(Runnable call, String descriptionPart) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains(descriptionPart);
                });
    }

    private static byte[] png(Color color, int side) throws IOException {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        var g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, side, side);
        g.setColor(color);
        g.fillOval(side / 4, side / 4, side / 2, side / 2);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static float[] floats(Tensor tensor) {
        ByteBuffer bytes = tensor.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(out);
        return out;
    }

    private static float sum(float[] values, int from, int to) {
        float s = 0;
        for (int i = from; i < to; i++) {
            s += values[i];
        }
        return s;
    }

    /**
     * The server takes messages over grpc-java's 4 MiB (InboundMessageLimit, at least
     * unclip.grpc.min-inbound-message-size): a 5 MB image reaches the service, which refuses it
     * by its own size rule, instead of the transport's RESOURCE_EXHAUSTED.
     */
    @Test
    void messagesOverFourMebibytesReachTheService() {
        ByteString big = ByteString.copyFrom(new byte[5_000_000]);
        assertThatThrownBy(() -> stub().encodeImage(EncodeImageRequest.newBuilder().addImages(big).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("larger than 4194304 bytes");
                });
    }
}
