package org.unclip.prior;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.PriorEvent;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorServiceGrpc.PriorServiceBlockingStub;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.tensor.Tensor;

/** The prior stage over real gRPC on loopback, running the family's prior graph. */
@QuarkusTest
class PriorGrpcServiceTest {

    private static final ModelFamily FAMILY = TestRequests.family();

    @GrpcClient("self")
    PriorServiceBlockingStub client;

    private List<PriorEvent> call(PriorRequest request) {
        List<PriorEvent> events = new ArrayList<>();
        client.withDeadlineAfter(60, TimeUnit.SECONDS).generateEmbeddings(request).forEachRemaining(events::add);
        return events;
    }

    private static Tensor embeddings(List<PriorEvent> events) {
        PriorEvent last = events.get(events.size() - 1);
        assertThat(last.hasResult()).isTrue();
        org.unclip.api.v1.Tensor t = last.getResult().getImageEmbeds();
        float[] data = new float[t.getData().size() / 4];
        t.getData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new Tensor(t.getShapeList().stream().mapToLong(Long::longValue).toArray(), data);
    }

    @Test
    void streamsProgressThenOneEmbeddingPerSeed() {
        List<PriorEvent> events = call(TestRequests.valid(FAMILY, 11, 12, 13).setSteps(3).build());
        assertThat(events).hasSize(4);
        for (int i = 0; i < 3; i++) {
            assertThat(events.get(i).hasProgress()).isTrue();
            assertThat(events.get(i).getProgress().getStage()).isEqualTo("prior");
            assertThat(events.get(i).getProgress().getStep()).isEqualTo(i + 1);
            assertThat(events.get(i).getProgress().getTotalSteps()).isEqualTo(3);
        }
        Tensor embeds = embeddings(events);
        assertThat(embeds.shape()).containsExactly(3, FAMILY.embeddingDim());
        assertThat(embeds.isFinite()).isTrue();

        Tensor alone = embeddings(call(TestRequests.valid(FAMILY, 11).setSteps(3).build()));
        assertThat(alone).isEqualTo(embeds.row(0));
    }

    @Test
    void answersBadInputWithInvalidArgument() {
        for (PriorRequest bad : List.of(
                TestRequests.valid(FAMILY).build(),
                TestRequests.valid(FAMILY, 1).setSteps(100_000).build(),
                TestRequests.valid(FAMILY, 1).setGuidanceScale(-2f).build(),
                TestRequests.valid(FAMILY, 1).clearText().build(),
                TestRequests.valid(FAMILY, 1, 2).setText(TestRequests.encoding(FAMILY, 3, 3, 5)).build())) {
            assertThatThrownBy(() -> call(bad))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).isNotBlank();
                    });
        }
    }

    @Test
    void stopsWhenTheClientCancelsAndKeepsServing() throws Exception {
        PriorServiceBlockingStub stub = client.withDeadlineAfter(60, TimeUnit.SECONDS);
        try (LogCapture log = LogCapture.of(org.unclip.stage.StageFailures.class)) {
            io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
            Iterator<PriorEvent> events = ctx.call(() -> stub.generateEmbeddings(
                    TestRequests.valid(FAMILY, 5).setSteps(200).setRequestId("to-cancel").build()));
            assertThat(events.next().hasProgress()).isTrue();
            ctx.cancel(null);
            assertThatThrownBy(() -> events.forEachRemaining(e -> { }))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
            String line = log.await("prior request to-cancel cancelled by the client after prior step ", 60_000);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("step (\\d+)/200").matcher(line);
            assertThat(m.find()).as(line).isTrue();
            assertThat(Integer.parseInt(m.group(1))).as("steps run before stopping").isLessThan(200);
        }
        assertThat(embeddings(call(TestRequests.valid(FAMILY, 5).build())).shape())
                .containsExactly(1, FAMILY.embeddingDim());
    }
}
