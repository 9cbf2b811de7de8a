package org.unclip.stage.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.metrics.StageMetrics;

/**
 * The stage-side family check over real gRPC on loopback: a service behind {@link FamilyCheck}
 * names its family on every answer, and refuses a call that expects another family before the
 * service runs.
 */
class FamilyCheckTest {

    private static final FamilyIdentity SERVED = new FamilyIdentity("shapes-tiny", "a".repeat(64));

    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static final MethodDescriptor<String, String> ECHO = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("test.Echo/Echo")
            .setRequestMarshaller(TEXT)
            .setResponseMarshaller(TEXT)
            .build();

    private final AtomicInteger served = new AtomicInteger();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        StageMetrics metrics = new StageMetrics(registry, new ShutdownDrain(Duration.ofSeconds(1)), "test-svc");
        FamilyCheck check = new FamilyCheck(SERVED, metrics, registry, "test-svc");
        ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
                    served.incrementAndGet();
                    if (request.equals("fail")) {
                        response.onError(Status.INVALID_ARGUMENT.withDescription("no").asRuntimeException());
                        return;
                    }
                    response.onNext("echo " + request);
                    response.onCompleted();
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(echo, check))
                .build()
                .start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void everyAnswer_namesTheFamily_inItsHeaders_orInTheTrailersOfAnImmediateError() {
        Call ok = call("hello", new Metadata());
        assertThat(ok.response).isEqualTo("echo hello");
        assertThat(ok.headers.get(FamilyCheck.FAMILY)).isEqualTo("shapes-tiny");
        assertThat(ok.headers.get(FamilyCheck.FAMILY_HASH)).isEqualTo(SERVED.hash());

        Call failed = call("fail", new Metadata());
        assertThat(failed.status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(failed.identity()).isEqualTo(SERVED);
    }

    @Test
    void aCallExpectingTheServedFamily_isServed() {
        Metadata expect = new Metadata();
        expect.put(FamilyCheck.EXPECT_FAMILY, "shapes-tiny");
        expect.put(FamilyCheck.EXPECT_FAMILY_HASH, SERVED.hash());

        assertThat(call("hello", expect).response).isEqualTo("echo hello");
        assertThat(served).hasValue(1);
    }

    @Test
    void aCallExpectingAnotherFamily_isRefusedFailedPrecondition_beforeTheServiceRuns() {
        Metadata otherName = new Metadata();
        otherName.put(FamilyCheck.EXPECT_FAMILY, "shapes-untrained");
        Metadata otherHash = new Metadata();
        otherHash.put(FamilyCheck.EXPECT_FAMILY, "shapes-tiny");
        otherHash.put(FamilyCheck.EXPECT_FAMILY_HASH, "b".repeat(64));

        for (Metadata expect : new Metadata[] {otherName, otherHash}) {
            Call refused = call("hello", expect);
            assertThat(refused.status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(refused.status.getDescription())
                    .startsWith("model family mismatch: this replica serves shapes-tiny (sha256 aaaaaaaaaaaa)");
            assertThat(refused.identity()).as("the refusal names the served family").isEqualTo(SERVED);
        }
        assertThat(served).as("no refused call reaches the service").hasValue(0);
        assertThat(registry.get("unclip.stage.call.duration").tag("outcome", FamilyCheck.MISMATCH_OUTCOME)
                .timer().count()).isEqualTo(2);
    }

    @Test
    void theFamilyIsAGaugeOfOne_labelledWithNameAndHash() {
        assertThat(registry.get("unclip.model.family.info")
                .tags("service", "test-svc", "family", "shapes-tiny", "hash", SERVED.hash())
                .gauge().value()).isEqualTo(1.0);
    }

    private Call call(String request, Metadata headers) {
        AtomicReference<Metadata> received = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        io.grpc.Channel intercepted = io.grpc.ClientInterceptors.intercept(channel,
                MetadataUtils.newAttachHeadersInterceptor(headers),
                MetadataUtils.newCaptureMetadataInterceptor(received, trailers));
        try {
            String response = ClientCalls.blockingUnaryCall(intercepted, ECHO,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
            return new Call(response, Status.OK, received.get(), trailers.get());
        } catch (StatusRuntimeException e) {
            return new Call(null, e.getStatus(), received.get(), trailers.get());
        }
    }

    private record Call(String response, Status status, Metadata headers, Metadata trailers) {
        FamilyIdentity identity() {
            assertThat(trailers).isNotNull();
            return new FamilyIdentity(trailers.get(FamilyCheck.FAMILY), trailers.get(FamilyCheck.FAMILY_HASH));
        }
    }

    @Test
    void aFamilyNeedsANameAndAHash() {
        assertThatThrownBy(() -> new FamilyIdentity("", "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
