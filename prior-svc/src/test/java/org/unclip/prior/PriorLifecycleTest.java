package org.unclip.prior;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.ConnectException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.PriorEvent;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorResult;
import org.unclip.api.v1.PriorServiceGrpc;
import org.unclip.core.family.ModelFamily;

/** The prior's gRPC server stopping: the running call finishes while new calls get UNAVAILABLE. */
@QuarkusTest
@TestProfile(PriorLifecycleTest.OwnApplication.class)
class PriorLifecycleTest {

    /** An application of its own, as the shutdown test stops its gRPC server for good. */
    public static class OwnApplication implements QuarkusTestProfile {}

    private static final ModelFamily FAMILY = TestRequests.family();
    private static final int LONG_BATCH = 16;

    @Inject
    ShutdownDrain drain;

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    /** Many embeddings with the most steps: a call that runs for a few seconds. */
    private static PriorRequest longRequest() {
        PriorRequest.Builder request = TestRequests.valid(FAMILY).setSteps(FAMILY.prior().steps().max());
        for (long seed = 1; seed <= LONG_BATCH; seed++) {
            request.addSeeds(seed);
        }
        return request.build();
    }

    private static PriorRequest shortRequest() {
        return TestRequests.valid(FAMILY, 8).build();
    }

    private ManagedChannel channel() {
        return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    private static PriorResult generate(ManagedChannel channel, PriorRequest request, CountDownLatch firstEvent) {
        PriorResult result = null;
        var events = PriorServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(120, TimeUnit.SECONDS)
                .generateEmbeddings(request);
        while (events.hasNext()) {
            PriorEvent event = events.next();
            if (firstEvent != null) {
                firstEvent.countDown();
            }
            if (event.hasResult()) {
                result = event.getResult();
            }
        }
        assertThat(result).as("the stream ends with a result").isNotNull();
        return result;
    }

    /** Waits for the call's first event; fails at once if the call fails first. */
    private static void awaitStart(CountDownLatch started, CompletableFuture<PriorResult> call) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        while (!started.await(20, TimeUnit.MILLISECONDS)) {
            if (call.isDone()) {
                call.get();
            }
            assertThat(System.currentTimeMillis()).as("the call started within a minute").isLessThan(end);
        }
    }

    @Test
    void onShutdown_theRunningCallFinishes_newCallsGetUnavailable_andTheServerStopsListening() throws Exception {
        ManagedChannel channel = channel();
        ManagedChannel fresh = channel();
        try {
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<PriorResult> running =
                    CompletableFuture.supplyAsync(() -> generate(channel, longRequest(), started));
            awaitStart(started, running);

            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(drain::drain);
            long end = System.currentTimeMillis() + 10_000;
            while (!drain.draining() && System.currentTimeMillis() < end) {
                Thread.sleep(5);
            }
            assertThat(drain.draining()).isTrue();

            for (ManagedChannel client : List.of(channel, fresh)) {
                assertThatThrownBy(() -> generate(client, shortRequest(), null))
                        .as("a new call while the stage drains")
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            }
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
                    .as("the gRPC server no longer accepts connections")
                    .isInstanceOf(ConnectException.class);
            assertThat(running).as("the running call goes on").isNotDone();
            assertThat(drained).as("the drain waits for it").isNotDone();

            PriorResult result = running.get(120, TimeUnit.SECONDS);
            assertThat(result.getImageEmbeds().getShapeList())
                    .containsExactly((long) LONG_BATCH, (long) FAMILY.embeddingDim());
            assertThat(drained.get(30, TimeUnit.SECONDS)).as("every running call finished in time").isTrue();
            assertThat(drain.abandoned()).isFalse();
            assertThat(drain.running()).isZero();
        } finally {
            channel.shutdownNow();
            fresh.shutdownNow();
        }
    }
}
