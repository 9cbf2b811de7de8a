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
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two decoder replicas behind one gateway, as separate processes: the replica running a job is
 * killed with SIGKILL in the middle of its decoder loop, and the job still succeeds, on the other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicaFailoverIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> DECODERS = List.of("decoder-svc", "decoder-svc.2");
    private static final Pattern IN_FLIGHT =
            Pattern.compile("(?m)^unclip_stage_calls_in_flight\\{[^}]*\\} ([0-9.]+)$");
    private static final Pattern OK_CALLS = Pattern.compile(
            "(?m)^unclip_stage_call_duration_seconds_count\\{[^}]*method=\"GenerateImages\"[^}]*outcome=\"ok\"[^}]*\\} ([0-9.]+)$");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Mesh mesh;

    @BeforeAll
    void startMesh() throws Exception {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        Path family = root.resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
        mesh = Mesh.start(root, family, 2);
    }

    @AfterAll
    void stopMesh() {
        if (mesh != null) {
            mesh.close();
        }
    }

    private String get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double metric(String text, Pattern pattern) {
        Matcher m = pattern.matcher(text);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private JsonNode job(String id) throws Exception {
        return JSON.readTree(get(mesh.uri("/v1/jobs/" + id)));
    }

    @Test
    void killingTheReplicaThatRunsAJob_losesNoJob() throws Exception {
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(mesh.uri("/v1/jobs"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"prompt": "a large green square on the left on a white background",
                                 "size": "64x64", "decoder_steps": 400, "seed": 5, "previews": false}
                                """))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String id = JSON.readTree(submitted.body()).get("id").asText();

        // wait until the decoder loop is well under way
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (true) {
            JsonNode view = job(id);
            if (view.path("stage").asText().equals("decoder") && view.path("step").asInt() >= 20) {
                break;
            }
            assertThat(view.get("state").asText()).as(view.toString()).isIn("queued", "running");
            assertThat(Instant.now()).as("the job to reach the decoder").isBefore(deadline);
            Thread.sleep(50);
        }
        String busy = null;
        for (String decoder : DECODERS) {
            if (metric(get(mesh.uri(decoder, "/q/metrics")), IN_FLIGHT) >= 1) {
                busy = decoder;
            }
        }
        assertThat(busy).as("a decoder replica reports the call in flight").isNotNull();
        String survivor = DECODERS.get(busy.equals(DECODERS.get(0)) ? 1 : 0);
        double okBefore = metric(get(mesh.uri(survivor, "/q/metrics")), OK_CALLS);

        mesh.kill(busy);

        JsonNode done;
        while (true) {
            done = job(id);
            String state = done.get("state").asText();
            if (!state.equals("queued") && !state.equals("running")) {
                break;
            }
            assertThat(Instant.now()).as("the job to finish after the kill").isBefore(deadline.plusSeconds(120));
            Thread.sleep(100);
        }
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.get("data")).hasSize(1);
        assertThat(metric(get(mesh.uri(survivor, "/q/metrics")), OK_CALLS))
                .as("the surviving replica ran the job").isGreaterThan(okBefore);
    }
}
