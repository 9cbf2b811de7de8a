package org.unclip.decoder;

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
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc;
import org.unclip.core.family.ModelFamily;

/** The decoder's gRPC server stopping: the running call finishes while new calls get UNAVAILABLE. */
@QuarkusTest
@TestProfile(DecoderLifecycleTest.OwnApplication.class)
class DecoderLifecycleTest {

    /** An application of its own, as the shutdown test stops its gRPC server for good. */
    public static class OwnApplication implements QuarkusTestProfile {}

    private static final ModelFamily FAMILY = TestRequests.family();

    @Inject
    ShutdownDrain drain;

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    /** A 64px image with enough decoder steps to run for a few seconds. */
    private static DecoderRequest longRequest() {
        return TestRequests.valid(FAMILY, 7).setDecoderSteps(400).setUpsamplerSteps(2).setSize(64).build();
    }

    private static DecoderRequest shortRequest() {
        return TestRequests.valid(FAMILY, 8).setSize(64).build();
    }

    private ManagedChannel channel() {
        return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    private static DecoderResult generate(ManagedChannel channel, DecoderRequest request, CountDownLatch firstEvent) {
        DecoderResult result = null;
        var events = DecoderServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(120, TimeUnit.SECONDS)
                .generateImages(request);
        while (events.hasNext()) {
            DecoderEvent event = events.next();
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
    private static void awaitStart(CountDownLatch started, CompletableFuture<DecoderResult> call) throws Exception {
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
            CompletableFuture<DecoderResult> running =
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

            DecoderResult result = running.get(120, TimeUnit.SECONDS);
            assertThat(result.getImagesList()).singleElement().satisfies(image -> {
                assertThat(image.getSeed()).isEqualTo(7);
                assertThat(image.getPng().size()).isPositive();
            });
            assertThat(drained.get(30, TimeUnit.SECONDS)).as("every running call finished in time").isTrue();
            assertThat(drain.abandoned()).isFalse();
            assertThat(drain.running()).isZero();
        } finally {
            channel.shutdownNow();
            fresh.shutdownNow();
        }
    }
}
