package org.unclip.gateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * job, the decoder killed and started again a few seconds later, and the text encoder and prior down
 * when a job arrives and started again. Each time the job ends
 * succeeded, once, with the pixels an undisturbed run of the same request gives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {

    private static final Pattern PRIOR_CALLS = Pattern.compile(
            "(?m)^unclip_stage_call_duration_seconds_count\\{[^}]*method=\"GenerateEmbeddings\"[^}]*\\} ([0-9.]+)$");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Mesh mesh;
    private TestRedis redis;

    @BeforeAll
    void startMesh() throws Exception {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        Path family = root.resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
        // a stopping gateway hands its jobs over at once; a crashed one's entries are reclaimed after
        // 3 s, and its consumer, once it owns nothing, is removed after 5 s idle
        mesh = Mesh.start(root, family, 1,
                "-Dunclip.jobs.worker.shutdown-grace=0s",
                "-Dunclip.jobs.worker.claim-min-idle=3s",
                "-Dunclip.jobs.worker.claim-interval=1s",
                "-Dunclip.jobs.worker.gone-consumer-idle=5s",
                "-Dunclip.jobs.worker.gone-consumer-sweep=1s");
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

    private MeshJobs on(String gateway) {
        return new MeshJobs(path -> mesh.uri(gateway, path), "a small yellow triangle at the top on a black background");
    }

    private String get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private Map<String, String> stored(String id) {
        return redis.sync().hgetall(mesh.keyPrefix() + "job:" + id);
    }

    /** The consumers of the gateways' consumer group. */
    private List<String> consumers() {
        List<String> names = new ArrayList<>();
        for (Object entry : redis.sync().xinfoConsumers(mesh.keyPrefix() + "jobs", "unclip-workers")) {
            List<?> fields = (List<?>) entry;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("name".equals(String.valueOf(fields.get(i)))) {
                    names.add(String.valueOf(fields.get(i + 1)));
                }
            }
        }
        return names;
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
        MeshJobs first = on("gateway");
        byte[] expected = first.undisturbed(21);
        String id = first.submit(21);
        first.awaitDecoderStep(id, 20);
        double priorCallsBefore = priorCalls();

        assertThat(consumers()).as("the running gateway's consumer").hasSize(1);
        mesh.terminate("gateway");

        assertThat(stored(id)).as("handed back, not failed")
                .containsEntry("state", "queued")
                .containsEntry("attempts", "1")
                .doesNotContainKey("error_code");
        assertThat(consumers()).as("the stopped gateway removed its own consumer").isEmpty();
        mesh.startGateway("gateway.2");
        MeshJobs second = on("gateway.2");
        JsonNode done = second.awaitEnd(id);

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(stored(id)).containsEntry("attempts", "2").doesNotContainKey("crashes");
        assertThat(second.png(id)).as("the same pixels as an undisturbed run").isEqualTo(expected);
        assertThat(priorCalls()).as("the second run started after the prior").isEqualTo(priorCallsBefore);
    }

    @Test
    @Order(2)
    void aGatewayKilledMidJob_isTakenOverByAnother() throws Exception {
        MeshJobs second = on("gateway.2");
        String id = second.submit(22);
        second.awaitDecoderStep(id, 20);
        List<String> killed = consumers();
        assertThat(killed).as("gateway.2's consumer, owning the job's entry").hasSize(1);

        mesh.kill("gateway.2");
        mesh.startGateway("gateway.3");
        MeshJobs third = on("gateway.3");
        JsonNode done = third.awaitEnd(id);

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(stored(id)).containsEntry("attempts", "2").containsEntry("crashes", "1");
        // The killed gateway's consumer owns nothing once gateway.3 reclaimed its entry: gateway.3
        // removes it after gone-consumer-idle (5 s here).
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (consumers().containsAll(killed) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(consumers()).as("consumers after gateway.2 was killed").doesNotContainAnyElementsOf(killed).hasSize(1);
        assertThat(third.png(id)).as("the same pixels as an undisturbed run").isEqualTo(third.undisturbed(22));
    }

    @Test
    @Order(3)
    void aDecoderRestartedMidJob_costsTheJobOnlyTheWait() throws Exception {
        MeshJobs third = on("gateway.3");
        String id = third.submit(23);
        third.awaitDecoderStep(id, 20);

        mesh.kill("decoder-svc");
        Thread.sleep(3000);
        mesh.restart("decoder-svc");
        JsonNode done = third.awaitEnd(id);

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(stored(id)).containsEntry("attempts", "1");
        assertThat(third.png(id)).as("the same pixels as an undisturbed run").isEqualTo(third.undisturbed(23));
    }

    @Test
    @Order(4)
    void theTextEncoderAndThePriorDownWhenAJobArrives_theJobWaitsForThem() throws Exception {
        MeshJobs third = on("gateway.3");
        byte[] expected = third.undisturbed(24);

        mesh.kill("text-encoder-svc");
        mesh.kill("prior-svc");
        String id = third.submit(24);
        Thread.sleep(3000);
        assertThat(third.job(id).get("state").asText()).as("waiting for its stages, not failed").isIn("queued", "running");
        mesh.restart("text-encoder-svc");
        mesh.restart("prior-svc");
        JsonNode done = third.awaitEnd(id);

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(stored(id)).containsEntry("attempts", "1");
        assertThat(third.png(id)).as("the same pixels as an undisturbed run").isEqualTo(expected);
    }
}
