package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Attributes;
import io.grpc.ClientTransportFilter;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc;
import org.unclip.core.family.ModelFamily;
import org.unclip.stage.ShutdownDrain;

/**
 * The decoder's gRPC server over its lifetime: connections older than the maximum age are replaced
 * while calls go on, and on shutdown the running call finishes while new calls get UNAVAILABLE.
 * The shutdown test runs last: it stops this profile's server for good.
 */
@QuarkusTest
@TestProfile(DecoderLifecycleTest.OwnApplication.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DecoderLifecycleTest {

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

    private ManagedChannel channel(ClientTransportFilter filter) {
        ManagedChannelBuilder<?> builder = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext();
        if (filter != null) {
            builder.addTransportFilter(filter);
        }
        return builder.build();
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
    @Order(1)
    void connectionsAreReplacedAfterTheirMaximumAge_andTheClientResolvesTheNameAgain_whileCallsGoOnSucceeding()
            throws Exception {
        Connections connections = new Connections();
        CountingResolver resolver = new CountingResolver(port);
        NameResolverRegistry.getDefaultRegistry().register(resolver);
        // as the gateway's clients do: a name resolved to the stage's pods, round_robin over them
        ManagedChannel channel = ManagedChannelBuilder.forTarget(CountingResolver.SCHEME + ":///decoder-svc")
                .usePlaintext()
                .defaultLoadBalancingPolicy("round_robin")
                .addTransportFilter(connections)
                .build();
        try {
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<DecoderResult> longCall =
                    CompletableFuture.supplyAsync(() -> generate(channel, longRequest(), started));
            awaitStart(started, longCall);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
            List<DecoderResult> shortCalls = new ArrayList<>();
            while (System.nanoTime() < end || shortCalls.isEmpty()) {
                shortCalls.add(generate(channel, shortRequest(), null));
                Thread.sleep(200);
            }

            assertThat(longCall.get(120, TimeUnit.SECONDS).getImagesList())
                    .as("a call running across the GOAWAY finishes on its connection")
                    .singleElement()
                    .satisfies(image -> assertThat(image.getPng().size()).isPositive());
            assertThat(shortCalls).allSatisfy(r -> assertThat(r.getImagesCount()).isEqualTo(1));
            assertThat(connections.awaitTerminated(1, 10_000))
                    .as("the server ended a connection on its own; connections seen: %s", connections.local)
                    .isTrue();
            generate(channel, shortRequest(), null);
            assertThat(connections.local)
                    .as("the client reconnected on new connections, and calls kept succeeding")
                    .hasSizeGreaterThanOrEqualTo(2);
            assertThat(resolver.resolutions.get())
                    .as("the client resolved the stage's name again: it would find pods added since")
                    .isGreaterThanOrEqualTo(2);
        } finally {
            channel.shutdownNow();
            NameResolverRegistry.getDefaultRegistry().deregister(resolver);
        }
    }

    @Test
    @Order(2)
    void onShutdown_theRunningCallFinishes_newCallsGetUnavailable_andTheServerStopsListening() throws Exception {
        ManagedChannel channel = channel(null);
        ManagedChannel fresh = channel(null);
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

    /** Resolves {@code lifecycle-test:///<name>} to the test server, counting how often it is asked. */
    private static final class CountingResolver extends NameResolverProvider {

        static final String SCHEME = "lifecycle-test";

        final AtomicInteger resolutions = new AtomicInteger();
        private final int port;

        CountingResolver(int port) {
            this.port = port;
        }

        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 5;
        }

        @Override
        public String getDefaultScheme() {
            return SCHEME;
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!SCHEME.equals(target.getScheme())) {
                return null;
            }
            return new NameResolver() {
                private Listener2 listener;

                @Override
                public String getServiceAuthority() {
                    return target.getPath().substring(1);
                }

                @Override
                public void start(Listener2 listener) {
                    this.listener = listener;
                    resolve();
                }

                @Override
                public void refresh() {
                    resolve();
                }

                private void resolve() {
                    resolutions.incrementAndGet();
                    listener.onResult(ResolutionResult.newBuilder()
                            .setAddresses(List.of(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", port))))
                            .build());
                }

                @Override
                public void shutdown() {}
            };
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
