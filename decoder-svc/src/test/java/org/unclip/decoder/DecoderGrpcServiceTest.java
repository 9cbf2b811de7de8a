package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc.DecoderServiceBlockingStub;
import org.unclip.api.v1.GeneratedImage;
import org.unclip.api.v1.Progress;
import org.unclip.core.family.ModelFamily;
import org.unclip.stage.ProtoTensors;

/** The decoder stage over real gRPC on loopback, running the family's graphs. */
@QuarkusTest
class DecoderGrpcServiceTest {

    private static final ModelFamily FAMILY = TestRequests.family();

    @GrpcClient("self")
    DecoderServiceBlockingStub client;

    private List<DecoderEvent> call(DecoderRequest request) {
        List<DecoderEvent> events = new ArrayList<>();
        client.withDeadlineAfter(120, TimeUnit.SECONDS).generateImages(request).forEachRemaining(events::add);
        return events;
    }

    private static DecoderResult result(List<DecoderEvent> events) {
        DecoderEvent last = events.get(events.size() - 1);
        assertThat(last.hasResult()).isTrue();
        return last.getResult();
    }

    private static BufferedImage read(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(img).as("a readable PNG").isNotNull();
        return img;
    }

    @Test
    void streamsProgressWithPreviewsThenPngsOfTheLargestSize() throws IOException {
        int size = FAMILY.largestOutputSize();
        List<DecoderEvent> events = call(TestRequests.valid(FAMILY, 41, 42).setPreviews(true).build());

        List<String> stages = new ArrayList<>();
        for (DecoderEvent e : events.subList(0, events.size() - 1)) {
            Progress p = e.getProgress();
            stages.add(p.getStage() + ":" + p.getStep() + "/" + p.getTotalSteps());
            assertThat(read(p.getPreviewPng().toByteArray()).getWidth()).isPositive();
        }
        List<String> expected = new ArrayList<>(List.of("decoder:1/2", "decoder:2/2"));
        for (int i = 1; i <= FAMILY.upsamplersFor(size); i++) {
            expected.add("upsampler-" + i + ":1/2");
            expected.add("upsampler-" + i + ":2/2");
        }
        assertThat(stages).containsExactlyElementsOf(expected);
        assertThat(read(events.get(0).getProgress().getPreviewPng().toByteArray()).getWidth())
                .isEqualTo(FAMILY.decoder().resolution());

        DecoderResult result = result(events);
        assertThat(result.getImagesList()).extracting(GeneratedImage::getSeed).containsExactly(41L, 42L);
        for (GeneratedImage image : result.getImagesList()) {
            assertThat(image.getWidth()).isEqualTo(size);
            assertThat(image.getHeight()).isEqualTo(size);
            BufferedImage png = read(image.getPng().toByteArray());
            assertThat(png.getWidth()).isEqualTo(size);
            assertThat(png.getHeight()).isEqualTo(size);
            assertThat(png.getColorModel().getNumComponents()).isEqualTo(3);
        }
    }

    @Test
    void imagesDependOnTheirSeedOnlyAndSmallSizesStopEarly() throws IOException {
        int size = FAMILY.outputSizes().get(0);
        DecoderResult batch = result(call(TestRequests.valid(FAMILY, 7, 8, 9).setSize(size).build()));
        DecoderResult alone = result(call(TestRequests.valid(FAMILY, 7).setSize(size).build()));
        assertThat(batch.getImagesCount()).isEqualTo(3);
        assertThat(read(batch.getImages(0).getPng().toByteArray()).getWidth()).isEqualTo(size);
        assertThat(alone.getImages(0).getPng()).isEqualTo(batch.getImages(0).getPng());
        assertThat(batch.getImages(1).getPng()).isNotEqualTo(batch.getImages(0).getPng());
    }

    @Test
    void answersBadInputWithInvalidArgument() {
        int d = FAMILY.embeddingDim();
        for (DecoderRequest bad : List.of(
                TestRequests.valid(FAMILY).build(),
                TestRequests.valid(FAMILY, new long[17]).build(),
                TestRequests.valid(FAMILY, 1).setSize(123).build(),
                TestRequests.valid(FAMILY, 1).setDecoderSteps(-1).build(),
                TestRequests.valid(FAMILY, 1).setUpsamplerSteps(100_000).build(),
                TestRequests.valid(FAMILY, 1).setGuidanceScale(99f).build(),
                TestRequests.valid(FAMILY, 1).clearImageEmbeds().build(),
                TestRequests.valid(FAMILY, 1, 2).setImageEmbeds(
                        ProtoTensors.toProto(org.unclip.core.tensor.Tensor.zeros(2, d + 3), org.unclip.api.v1.Tensor.newBuilder()).build()).build())) {
            assertThatThrownBy(() -> call(bad))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).isNotBlank();
                    });
        }
    }

    @Test
    void stopsWhenTheClientCancelsAndKeepsServing() throws Exception {
        DecoderServiceBlockingStub stub = client.withDeadlineAfter(120, TimeUnit.SECONDS);
        int total = FAMILY.decoder().steps().max();
        try (LogCapture log = LogCapture.of(org.unclip.stage.StageFailures.class)) {
            io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
            Iterator<DecoderEvent> events = ctx.call(() -> stub.generateImages(TestRequests.valid(FAMILY, 5)
                    .setDecoderSteps(total).setRequestId("to-cancel").build()));
            assertThat(events.next().hasProgress()).isTrue();
            ctx.cancel(null);
            assertThatThrownBy(() -> events.forEachRemaining(e -> { }))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
            String line = log.await("decoder request to-cancel cancelled by the client after decoder step ", 120_000);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("step (\\d+)/" + total).matcher(line);
            assertThat(m.find()).as(line).isTrue();
            assertThat(Integer.parseInt(m.group(1))).as("steps run before stopping").isLessThan(total);
        }
        int size = FAMILY.outputSizes().get(0);
        assertThat(result(call(TestRequests.valid(FAMILY, 5).setSize(size).build())).getImagesCount()).isEqualTo(1);
    }
}
