package org.unclip.gateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
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

    private String submit(long seed) throws Exception {
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(mesh.uri("/v1/jobs"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"prompt": "a large blue circle on the right on a white background",
                                 "size": "64x64", "decoder_steps": 400, "seed": %d, "previews": false}
                                """.formatted(seed)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        return JSON.readTree(submitted.body()).get("id").asText();
    }

    private JsonNode job(String id) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(mesh.uri("/v1/jobs/" + id)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private JsonNode awaitEnd(String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
        while (true) {
            try {
                JsonNode view = job(id);
                String state = view.path("state").asText();
                if (!state.isEmpty() && !state.equals("queued") && !state.equals("running")) {
                    return view;
                }
            } catch (IOException | RuntimeException whileRedisIsBack) {
                // the gateway may answer an error while its Redis connection comes back
            }
            assertThat(Instant.now()).as("job %s to end", id).isBefore(deadline);
            Thread.sleep(100);
        }
    }

    private byte[] png(String id) throws Exception {
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(mesh.uri("/v1/images/results/" + id + "/0.png")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    @Test
    void redisKilledMidJob_andStartedAgain_losesNoJob() throws Exception {
        String reference = submit(31);
        assertThat(awaitEnd(reference).get("state").asText()).isEqualTo("succeeded");
        String referenceQueued = submit(32);
        assertThat(awaitEnd(referenceQueued).get("state").asText()).isEqualTo("succeeded");

        String running = submit(31);
        Instant deadline = Instant.now().plusSeconds(120);
        while (!(job(running).path("stage").asText().equals("decoder") && job(running).path("step").asInt() >= 20)) {
            assertThat(Instant.now()).as("the job to reach the decoder").isBefore(deadline);
            Thread.sleep(20);
        }
        String queued = submit(32); // accepted (202) just before the kill

        redis.destroyForcibly().waitFor();
        Thread.sleep(2000);
        startRedis();

        for (String[] pair : List.of(new String[] {running, reference}, new String[] {queued, referenceQueued})) {
            JsonNode done = awaitEnd(pair[0]);
            assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
            assertThat(done.get("data")).hasSize(1);
            assertThat(png(pair[0])).as("the same pixels as an undisturbed run").isEqualTo(png(pair[1]));
        }
    }
}
