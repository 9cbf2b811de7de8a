package org.unclip.gateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Redis killed (SIGKILL) in the middle of a job and started again from its append-only file: the
 * running job and one accepted just before the kill both end succeeded, once, with the pixels an
 * undisturbed run gives. The mesh runs against a Redis of the test's own (append-only, fsync on
 * every write, on a free port).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisFaultIT {

    private Mesh mesh;
    private Process redis;
    private int redisPort;
    private Path redisDir;

    @BeforeAll
    void start() throws Exception {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        Path family = root.resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
        try (ServerSocket socket = new ServerSocket(0)) {
            redisPort = socket.getLocalPort();
        }
        redisDir = Files.createTempDirectory(root.resolve("gateway/target"), "redis-fault-");
        startRedis();
        mesh = Mesh.start(root, family, 1,
                "-Dunclip.redis.url=redis://127.0.0.1:" + redisPort,
                "-Dunclip.jobs.worker.claim-min-idle=3s",
                "-Dunclip.jobs.worker.claim-interval=1s");
    }

    @AfterAll
    void stop() throws Exception {
        if (mesh != null) {
            mesh.close();
        }
        if (redis != null) {
            redis.destroy();
            redis.waitFor();
        }
    }

    private void startRedis() throws IOException, InterruptedException {
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                        "--dir", redisDir.toString(), "--appendonly", "yes", "--appendfsync", "always", "--save", "")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(redisDir.resolve("redis.log").toFile()))
                .start();
        Instant deadline = Instant.now().plusSeconds(20);
        while (true) {
            try (Socket probe = new Socket("127.0.0.1", redisPort)) {
                return;
            } catch (IOException notYet) {
                assertThat(redis.isAlive()).as("redis-server runs (log in %s)", redisDir).isTrue();
                assertThat(Instant.now()).as("redis-server to listen").isBefore(deadline);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void redisKilledMidJob_andStartedAgain_losesNoJob() throws Exception {
        MeshJobs jobs = new MeshJobs(mesh::uri, "a large blue circle on the right on a white background");
        String reference = jobs.submit(31);
        assertThat(jobs.awaitEnd(reference).get("state").asText()).isEqualTo("succeeded");
        String referenceQueued = jobs.submit(32);
        assertThat(jobs.awaitEnd(referenceQueued).get("state").asText()).isEqualTo("succeeded");

        String running = jobs.submit(31);
        jobs.awaitDecoderStep(running, 20);
        String queued = jobs.submit(32); // accepted (202) just before the kill

        redis.destroyForcibly().waitFor();
        Thread.sleep(2000);
        startRedis();

        for (String[] pair : List.of(new String[] {running, reference}, new String[] {queued, referenceQueued})) {
            JsonNode done = jobs.awaitEnd(pair[0]);
            assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
            assertThat(done.get("data")).hasSize(1);
            assertThat(jobs.png(pair[0])).as("the same pixels as an undisturbed run").isEqualTo(jobs.png(pair[1]));
        }
    }
}
