package org.unclip.textencoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Attributes;
import io.grpc.ClientTransportFilter;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.unclip.api.v1.EncodeImageRequest;
import org.unclip.api.v1.EncodeImageResponse;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.TextEncoderServiceGrpc;
import org.unclip.stage.ShutdownDrain;

/**
 * The text encoder's gRPC server over its lifetime: connections older than the maximum age are
 * replaced while calls go on, and on shutdown the running call finishes while new calls get
 * UNAVAILABLE. The shutdown test runs last: it stops this profile's server for good.
 */
@QuarkusTest
@TestProfile(TextEncoderLifecycleTest.OwnApplication.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TextEncoderLifecycleTest {

    /**
     * An application of its own, as the shutdown test stops its gRPC server for good; connections
     * live a second (grpc-java's shortest maximum age).
     */
    public static class OwnApplication implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("unclip.grpc.max-connection-age", "1s", "unclip.grpc.max-connection-age-grace", "2m");
        }
    }

    /** Images per call in the long call (the most one call may carry). */
    private static final int LONG_BATCH = 64;

    @Inject
    ShutdownDrain drain;

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    private ManagedChannel channel(ClientTransportFilter filter) {
        ManagedChannelBuilder<?> builder = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext();
        if (filter != null) {
            builder.addTransportFilter(filter);
        }
        return builder.build();
    }

    private static void encodeText(ManagedChannel channel) {
        var response = TextEncoderServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .encodeText(EncodeTextRequest.newBuilder().addPrompts("a red circle on a blue background").build());
        assertThat(response.getConditional().getTextEmbeds().getShape(0)).isEqualTo(1L);
    }

    /** Large images, each decoded and resized on the server: a call that runs for a while. */
    private static CompletableFuture<EncodeImageResponse> encodeLargeImages(ManagedChannel channel) {
        EncodeImageRequest.Builder request = EncodeImageRequest.newBuilder();
        ByteString image = ByteString.copyFrom(png(Color.ORANGE, 1024));
        for (int i = 0; i < LONG_BATCH; i++) {
            request.addImages(image);
        }
        return CompletableFuture.supplyAsync(() -> TextEncoderServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(120, TimeUnit.SECONDS)
                .encodeImage(request.build()));
    }

    private static byte[] png(Color color, int side) {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        var g = image.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, side, side);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Test
    @Order(1)
    void connectionsAreReplacedAfterTheirMaximumAge_whileCallsGoOnSucceeding() throws Exception {
        Connections connections = new Connections();
        ManagedChannel channel = channel(connections);
        try {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
            int calls = 0;
            while (System.nanoTime() < end) {
                encodeText(channel);
                calls++;
                Thread.sleep(100);
            }
            assertThat(connections.awaitTerminated(1, 10_000))
                    .as("the server ended a connection on its own; connections seen: %s", connections.local)
                    .isTrue();
            encodeText(channel);
            assertThat(connections.local)
                    .as("the client reconnected on new connections, and all %d calls succeeded", calls + 1)
                    .hasSizeGreaterThanOrEqualTo(2);
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    @Order(2)
    void onShutdown_theRunningCallFinishes_newCallsGetUnavailable_andTheServerStopsListening() throws Exception {
        ManagedChannel channel = channel(null);
        ManagedChannel fresh = channel(null);
        try {
            CompletableFuture<EncodeImageResponse> running = encodeLargeImages(channel);
            long end = System.currentTimeMillis() + 60_000;
            while (drain.running() == 0 && !running.isDone() && System.currentTimeMillis() < end) {
                Thread.sleep(5);
            }
            assertThat(drain.running()).as("the call runs on the server").isEqualTo(1);

            CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(drain::drain);
            while (!drain.draining() && System.currentTimeMillis() < end) {
                Thread.sleep(5);
            }
            for (ManagedChannel client : List.of(channel, fresh)) {
                assertThatThrownBy(() -> encodeText(client))
                        .as("a new call while the stage drains")
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            }
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
                    .as("the gRPC server no longer accepts connections")
                    .isInstanceOf(ConnectException.class);
            assertThat(running).as("the running call goes on").isNotDone();
            assertThat(drained).as("the drain waits for it").isNotDone();

            EncodeImageResponse response = running.get(120, TimeUnit.SECONDS);
            assertThat(response.getImageEmbeds().getShape(0)).isEqualTo(LONG_BATCH);
            assertThat(drained.get(30, TimeUnit.SECONDS)).as("every running call finished in time").isTrue();
            assertThat(drain.abandoned()).isFalse();
            assertThat(drain.running()).isZero();
        } finally {
            channel.shutdownNow();
            fresh.shutdownNow();
        }
    }

    /** Counts the client's connections: their local addresses, and how many have closed. */
    private static final class Connections extends ClientTransportFilter {

        final Set<SocketAddress> local = ConcurrentHashMap.newKeySet();
        private final AtomicInteger terminated = new AtomicInteger();

        @Override
        public Attributes transportReady(Attributes attributes) {
            SocketAddress address = attributes.get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR);
            if (address instanceof InetSocketAddress) {
                local.add(address);
            }
            return attributes;
        }

        @Override
        public void transportTerminated(Attributes attributes) {
            terminated.incrementAndGet();
        }

        boolean awaitTerminated(int count, long timeoutMillis) throws InterruptedException {
            long end = System.currentTimeMillis() + timeoutMillis;
            while (terminated.get() < count && System.currentTimeMillis() < end) {
                Thread.sleep(20);
            }
            return terminated.get() >= count;
        }
    }
}
