package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc;
import org.unclip.core.family.ModelFamily;

/**
 * The packaged decoder stopped the way Kubernetes stops a pod: SIGTERM while it runs a call. The
 * call finishes (or, past the drain timeout, ends UNAVAILABLE so the gateway retries it) and the
 * process exits; logs go to {@code decoder-svc/target/shutdown-it}.
 */
class DecoderShutdownIT {

    private static final Path ROOT = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
    private static final ModelFamily FAMILY = TestRequests.family();

    /** A 64px image with enough decoder steps to run for several seconds. */
    private static DecoderRequest longRequest() {
        return TestRequests.valid(FAMILY, 7).setDecoderSteps(600).setUpsamplerSteps(2).setSize(64).build();
    }

    @Test
    void sigtermLetsTheRunningCallFinish_refusesNewCalls_thenExits() throws Exception {
        try (Decoder decoder = Decoder.start("graceful", "60s")) {
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<DecoderResult> running = generate(decoder.channel, longRequest(), started);
            assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();

            decoder.process.destroy(); // SIGTERM
            decoder.awaitLog("shutting down: refusing new calls");
            ManagedChannel fresh = decoder.channel();
            try {
                assertThatThrownBy(() -> generate(fresh, TestRequests.valid(FAMILY, 8).setSize(64).build(), null).join())
                        .as("a new call after SIGTERM")
                        .hasCauseInstanceOf(StatusRuntimeException.class)
                        .satisfies(e -> assertThat(((StatusRuntimeException) e.getCause()).getStatus().getCode())
                                .isEqualTo(Status.Code.UNAVAILABLE));
            } finally {
                fresh.shutdownNow();
            }
            assertThat(running).as("the running call goes on after SIGTERM").isNotDone();

            DecoderResult result = running.get(120, TimeUnit.SECONDS);
            assertThat(result.getImagesList()).singleElement()
                    .satisfies(image -> assertThat(image.getPng().size()).isPositive());
            assertThat(decoder.process.waitFor(60, TimeUnit.SECONDS)).as("the process exits once drained").isTrue();
            assertThat(decoder.log()).contains("every running call finished").doesNotContain("is closed");
            decoder.assertExitedCleanly();
        }
    }

    @Test
    void aCallStillRunningAtTheDrainTimeout_endsUnavailable_notInternal() throws Exception {
        try (Decoder decoder = Decoder.start("timeout", "1s")) {
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<DecoderResult> running = generate(decoder.channel, longRequest(), started);
            assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();

            decoder.process.destroy(); // SIGTERM
            ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(
                    ExecutionException.class, () -> running.get(120, TimeUnit.SECONDS));
            assertThat(failure.getCause()).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription()).contains("shut down before the call finished");
            });
            assertThat(decoder.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(decoder.log()).contains("end with UNAVAILABLE").contains("stopped by the shutdown");
            decoder.assertExitedCleanly();
        }
    }

    private static CompletableFuture<DecoderResult> generate(
            ManagedChannel channel, DecoderRequest request, CountDownLatch firstEvent) {
        return CompletableFuture.supplyAsync(() -> {
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
            return result;
        });
    }

    /** The packaged decoder-svc as a child process on free loopback ports. */
    private static final class Decoder implements AutoCloseable {

        final Process process;
        /** The channel of the call that runs when the process is stopped. */
        final ManagedChannel channel;
        private final Path log;
        private final int grpcPort;

        private Decoder(Process process, Path log, int grpcPort) {
            this.process = process;
            this.log = log;
            this.grpcPort = grpcPort;
            this.channel = channel();
        }

        static Decoder start(String name, String drainTimeout) throws IOException, InterruptedException {
            Path jar = ROOT.resolve("decoder-svc/target/quarkus-app/quarkus-run.jar");
            assertThat(jar).as("package decoder-svc first").isRegularFile();
            Path logs = Files.createDirectories(ROOT.resolve("decoder-svc/target/shutdown-it"));
            Path log = logs.resolve(name + ".log");
            int grpc = freePort();
            int http = freePort();
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g",
                    "-XX:ErrorFile=" + logs.resolve(name + "-hs_err_%p.log"),
                    "-Dquarkus.http.port=" + http,
                    "-Dquarkus.grpc.server.port=" + grpc,
                    "-Dunclip.family.dir=" + TestRequests.familyDir(),
                    "-Dunclip.onnx.threads=1",
                    "-Dunclip.shutdown.drain-timeout=" + drainTimeout,
                    "-jar", jar.toString()));
            Process process = new ProcessBuilder(command)
                    .directory(ROOT.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            Decoder decoder = new Decoder(process, log, grpc);
            try {
                decoder.awaitReady(http);
            } catch (RuntimeException | IOException | InterruptedException e) {
                decoder.close();
                throw e;
            }
            return decoder;
        }

        /** A new channel to the decoder (a new connection for its first call). */
        ManagedChannel channel() {
            return ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
        }

        /** Exit status 143 (128 + SIGTERM), as the JVM exits on SIGTERM, and no crash on the way. */
        void assertExitedCleanly() throws IOException {
            assertThat(log()).doesNotContain("A fatal error has been detected");
            assertThat(process.exitValue()).as("exit status; log in %s", log).isEqualTo(143);
            assertThat(log()).contains("stopped in");
        }

        String log() throws IOException {
            return Files.readString(log);
        }

        void awaitLog(String text) throws IOException, InterruptedException {
            long end = System.currentTimeMillis() + 30_000;
            while (!log().contains(text)) {
                assertThat(System.currentTimeMillis()).as("log line '%s' in %s", text, log).isLessThan(end);
                Thread.sleep(20);
            }
        }

        private void awaitReady(int httpPort) throws IOException, InterruptedException {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2))
                    .build();
            long end = System.currentTimeMillis() + 180_000;
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("decoder-svc exited with " + process.exitValue() + "; see " + log);
                }
                try {
                    if (client.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.currentTimeMillis() > end) {
                    throw new IllegalStateException("decoder-svc not ready after 3 minutes; see " + log);
                }
                Thread.sleep(250);
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }

        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow();
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
