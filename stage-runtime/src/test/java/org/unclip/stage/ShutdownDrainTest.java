package org.unclip.stage;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The drain's bookkeeping, with calls that never touch a network: what it admits, waits for and abandons. */
class ShutdownDrainTest {

    private final List<ServerCall<String, String>> started = new CopyOnWriteArrayList<>();
    private final ServerCallHandler<String, String> handler = (call, headers) -> {
        started.add(call);
        return new ServerCall.Listener<>() {};
    };

    @Test
    void withNoCallRunning_theDrainEndsAtOnce_andLaterCallsAreRefusedUnavailable() {
        ShutdownDrain drain = new ShutdownDrain(Duration.ofSeconds(30));

        long begin = System.nanoTime();
        assertThat(drain.drain()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(5));

        FakeCall late = new FakeCall();
        drain.interceptCall(late, new Metadata(), handler);
        assertThat(started).as("a refused call never reaches the service").isEmpty();
        assertThat(late.closedWith.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(late.closedWith.getDescription()).contains("shutting down");
        assertThat(drain.running()).isZero();
    }

    @Test
    void theDrainWaitsForRunningCalls_whileRefusingNewOnes() throws Exception {
        ShutdownDrain drain = new ShutdownDrain(Duration.ofSeconds(30));
        FakeCall running = new FakeCall();
        drain.interceptCall(running, new Metadata(), handler);
        assertThat(drain.running()).isEqualTo(1);

        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(drain::drain);
        FakeCall late = new FakeCall();
        awaitRefused(drain, late);
        Thread.sleep(200);
        assertThat(drained).as("the drain ends only when the running call does").isNotDone();
        assertThat(running.closedWith).isNull();

        started.get(0).close(Status.OK, new Metadata());
        assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(running.closedWith.getCode()).isEqualTo(Status.Code.OK);
        assertThat(drain.abandoned()).isFalse();
        assertThat(drain.running()).isZero();
    }

    @Test
    void aCancelledCallStopsCounting_andACallEndingTwiceCountsOnce() throws Exception {
        ShutdownDrain drain = new ShutdownDrain(Duration.ofSeconds(30));
        ServerCall.Listener<String> cancelled = drain.interceptCall(new FakeCall(), new Metadata(), handler);
        ServerCall.Listener<String> closed = drain.interceptCall(new FakeCall(), new Metadata(), handler);
        assertThat(drain.running()).isEqualTo(2);

        cancelled.onCancel();
        assertThat(drain.running()).isEqualTo(1);
        started.get(1).close(Status.OK, new Metadata());
        closed.onComplete();
        assertThat(drain.running()).isZero();
        assertThat(CompletableFuture.supplyAsync(drain::drain).get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void callsStillRunningAfterTheTimeout_areAbandoned_andWhateverEndsThemIsUnavailable() throws Exception {
        ShutdownDrain drain = new ShutdownDrain(Duration.ofMillis(200));
        FakeCall stuck = new FakeCall();
        drain.interceptCall(stuck, new Metadata(), handler);

        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(drain::drain);
        long end = System.currentTimeMillis() + 10_000;
        while (!drain.abandoned() && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
        assertThat(drain.abandoned()).isTrue();
        assertThat(drained).as("it gives abandoned calls a moment to stop").isNotDone();

        // e.g. the model closed under it: INTERNAL from the service, UNAVAILABLE on the wire
        started.get(0).close(Status.INTERNAL.withDescription("decoder.onnx is closed"), new Metadata());
        assertThat(drained.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(stuck.closedWith.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(stuck.closedWith.getDescription()).contains("shut down").contains("INTERNAL: decoder.onnx is closed");
        assertThat(drain.running()).isZero();
    }

    @Test
    void aCallThatSucceedsAfterTheTimeout_keepsItsResult() throws Exception {
        ShutdownDrain drain = new ShutdownDrain(Duration.ZERO);
        FakeCall late = new FakeCall();
        drain.interceptCall(late, new Metadata(), handler);
        CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(drain::drain);
        while (!drain.abandoned()) {
            Thread.sleep(10);
        }
        started.get(0).close(Status.OK, new Metadata());
        assertThat(drained.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(late.closedWith.getCode()).isEqualTo(Status.Code.OK);
    }

    private void awaitRefused(ShutdownDrain drain, FakeCall call) throws InterruptedException {
        long end = System.currentTimeMillis() + 10_000;
        while (!drain.draining() && System.currentTimeMillis() < end) {
            Thread.sleep(5);
        }
        int before = started.size();
        drain.interceptCall(call, new Metadata(), handler);
        assertThat(started).as("a refused call never reaches the service").hasSize(before);
        assertThat(call.closedWith.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    /** A server call that records how it was closed. */
    private static final class FakeCall extends ServerCall<String, String> {

        private static final MethodDescriptor.Marshaller<String> STRINGS = new MethodDescriptor.Marshaller<>() {
            @Override
            public java.io.InputStream stream(String value) {
                return new java.io.ByteArrayInputStream(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }

            @Override
            public String parse(java.io.InputStream stream) {
                throw new UnsupportedOperationException();
            }
        };

        volatile Status closedWith;

        @Override
        public void request(int numMessages) {}

        @Override
        public void sendHeaders(Metadata headers) {}

        @Override
        public void sendMessage(String message) {}

        @Override
        public void close(Status status, Metadata trailers) {
            closedWith = status;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public Attributes getAttributes() {
            return Attributes.EMPTY;
        }

        @Override
        public MethodDescriptor<String, String> getMethodDescriptor() {
            return MethodDescriptor.<String, String>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName("test/Call")
                    .setRequestMarshaller(STRINGS)
                    .setResponseMarshaller(STRINGS)
                    .build();
        }
    }
}
