package org.unclip.gateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.unclip.gateway.testing.TestRedis;

/**
 * Faults with real processes: a gateway stopped (SIGTERM) or killed (SIGKILL) in the middle of a
 * job, and the decoder killed and started again a few seconds later. Each time the job ends
 * succeeded, once, with the pixels an undisturbed run of the same request gives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PRIOR_CALLS = Pattern.compile(
            "(?m)^unclip_stage_call_duration_seconds_count\\{[^}]*method=\"GenerateEmbeddings\"[^}]*\\} ([0-9.]+)$");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Mesh mesh;
    private TestRedis redis;

    @BeforeAll
    void startMesh() throws Exception {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        Path family = root.resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
        // a stopping gateway hands its jobs over at once; a crashed one's entries are reclaimed after 3 s
        mesh = Mesh.start(root, family, 1,
                "-Dunclip.jobs.worker.shutdown-grace=0s",
                "-Dunclip.jobs.worker.claim-min-idle=3s",
                "-Dunclip.jobs.worker.claim-interval=1s");
        redis = new TestRedis();
    }

    @AfterAll
    void stopMesh() {
        if (mesh != null) {
            mesh.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** A job long enough to be caught in its decoder loop. */
    private String submit(String gateway, long seed) throws Exception {
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(mesh.uri(gateway, "/v1/jobs"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"prompt": "a small yellow triangle at the top on a black background",
                                 "size": "64x64", "decoder_steps": 400, "seed": %d, "previews": false}
                                """.formatted(seed)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        return JSON.readTree(submitted.body()).get("id").asText();
    }

    private JsonNode job(String gateway, String id) throws Exception {
        return JSON.readTree(get(mesh.uri(gateway, "/v1/jobs/" + id)));
    }

    private String get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private Map<String, String> stored(String id) {
        return redis.sync().hgetall(mesh.keyPrefix() + "job:" + id);
    }

    private void awaitDecoderStep(String gateway, String id, int step) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (true) {
            JsonNode view = job(gateway, id);
            if (view.path("stage").asText().equals("decoder") && view.path("step").asInt() >= step) {
                return;
            }
            assertThat(view.get("state").asText()).as(view.toString()).isIn("queued", "running");
            assertThat(Instant.now()).as("job %s to reach decoder step %d", id, step).isBefore(deadline);
            Thread.sleep(20);
        }
    }

    private JsonNode awaitEnd(String gateway, String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
        while (true) {
            JsonNode view = job(gateway, id);
            if (!view.get("state").asText().equals("queued") && !view.get("state").asText().equals("running")) {
                return view;
            }
            assertThat(Instant.now()).as("job %s to end", id).isBefore(deadline);
            Thread.sleep(100);
        }
    }

    private byte[] png(String gateway, String id) throws Exception {
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(mesh.uri(gateway, "/v1/images/results/" + id + "/0.png")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** The image of an undisturbed run of the same request. */
    private byte[] undisturbed(String gateway, long seed) throws Exception {
        String id = submit(gateway, seed);
        assertThat(awaitEnd(gateway, id).get("state").asText()).isEqualTo("succeeded");
        return png(gateway, id);
    }

    private double priorCalls() throws Exception {
        Matcher m = PRIOR_CALLS.matcher(get(mesh.uri("prior-svc", "/q/metrics")));
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    @Test
    @Order(1)
    void aGatewayStoppedMidJob_handsItOver_andTheNextGatewayResumesAfterThePrior() throws Exception {
        byte[] expected = undisturbed("gateway", 21);
        String id = submit("gateway", 21);
        awaitDecoderStep("gateway", id, 20);
        double priorCallsBefore = priorCalls();

        mesh.terminate("gateway");

        assertThat(stored(id)).as("handed back, not failed")
                .containsEntry("state", "queued")
                .containsEntry("attempts", "1")
                .doesNotContainKey("error_code");
        mesh.startGateway("gateway.2");
        JsonNode done = awaitEnd("gateway.2", id);

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(stored(id)).containsEntry("attempts", "2").doesNotContainKey("crashes");
        assertThat(png("gateway.2", id)).as("the same pixels as an undisturbed run").isEqualTo(expected);
        assertThat(priorCalls()).as("the second run started after the prior").isEqualTo(priorCallsBefore);
    }

    @Test
    @Order(2)
    void aGatewayKilledMidJob_isTakenOverByAnother() throws Exception {
        String id = submit("gateway.2", 22);
        awaitDecoderStep("gateway.2", id, 20);

        mesh.kill("gateway.2");
        mesh.startGateway("gateway.3");
        JsonNode done = awaitEnd("gateway.3", id);

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(stored(id)).containsEntry("attempts", "2").containsEntry("crashes", "1");
        assertThat(png("gateway.3", id)).as("the same pixels as an undisturbed run").isEqualTo(undisturbed("gateway.3", 22));
    }

    @Test
    @Order(3)
    void aDecoderRestartedMidJob_costsTheJobOnlyTheWait() throws Exception {
        String id = submit("gateway.3", 23);
        awaitDecoderStep("gateway.3", id, 20);

        mesh.kill("decoder-svc");
        Thread.sleep(3000);
        mesh.restart("decoder-svc");
        JsonNode done = awaitEnd("gateway.3", id);

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(stored(id)).containsEntry("attempts", "1");
        assertThat(png("gateway.3", id)).as("the same pixels as an undisturbed run").isEqualTo(undisturbed("gateway.3", 23));
    }
}
