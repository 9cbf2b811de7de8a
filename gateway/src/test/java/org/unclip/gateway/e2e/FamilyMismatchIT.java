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
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A mesh in the middle of a rollout to another model family, as separate processes: the prior has
 * a replica serving {@code shapes-untrained} beside one serving {@code shapes-tiny}, the family of
 * the text encoder and the decoder. Every job is pinned to the family of its first stage answer:
 * its prior calls are refused by the other family's replica and served by the matching one, so the
 * jobs succeed; once the only decoder serves the other family, a job fails with
 * {@code model_family_mismatch} instead of mixing the two.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FamilyMismatchIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FAMILY_INFO = Pattern.compile(
            "(?m)^unclip_model_family_info\\{[^}]*family=\"([^\"]+)\"[^}]*hash=\"([0-9a-f]{64})\"[^}]*\\} 1\\.0$");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path tiny;
    private Path untrained;
    private Mesh mesh;

    @BeforeAll
    void startMesh() throws Exception {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        tiny = root.resolve("models/shapes-tiny");
        untrained = root.resolve("models/shapes-untrained");
        mesh = Mesh.start(root, List.of(tiny), List.of(tiny, untrained), List.of(tiny));
    }

    @AfterAll
    void stopMesh() {
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void jobsStayOnOneFamily_passingOverTheOtherFamilysReplica_andFailClearlyWhenNoneServesIt() throws Exception {
        String[] tinyPrior = family("prior-svc");
        String[] untrainedPrior = family("prior-svc.2");
        assertThat(tinyPrior[0]).isEqualTo("shapes-tiny");
        assertThat(untrainedPrior[0]).isEqualTo("shapes-untrained");
        assertThat(untrainedPrior[1]).isNotEqualTo(tinyPrior[1]);
        assertThat(family("text-encoder-svc")).containsExactly(tinyPrior);
        assertThat(family("decoder-svc")).containsExactly(tinyPrior);

        for (int seed = 1; seed <= 4; seed++) {
            JsonNode job = finished(submit(seed));
            assertThat(job.path("state").asText()).as(job.toString()).isEqualTo("succeeded");
            assertThat(job.path("trace_id").asText()).as("the job's trace").matches("[0-9a-f]{32}");
        }
        String untrainedMetrics = get(mesh.uri("prior-svc.2", "/q/metrics"));
        assertThat(calls(untrainedMetrics, "family_mismatch"))
                .as("the other family's prior refused the jobs' calls").isPositive();
        assertThat(calls(untrainedMetrics, "ok")).as("and served none").isZero();
        assertThat(calls(get(mesh.uri("prior-svc", "/q/metrics")), "ok")).isEqualTo(4);

        // the decoder is replaced by one of the other family: no replica serves the jobs' family
        mesh.terminate("decoder-svc");
        mesh.restartWith("decoder-svc", "-Dunclip.family.dir=" + untrained);
        assertThat(family("decoder-svc")[0]).isEqualTo("shapes-untrained");

        JsonNode failed = finished(submit(9));
        assertThat(failed.path("state").asText()).as(failed.toString()).isEqualTo("failed");
        assertThat(failed.path("error").path("code").asText()).isEqualTo("model_family_mismatch");
        assertThat(failed.path("error").path("type").asText()).isEqualTo("server_error");
        assertThat(calls(get(mesh.uri("decoder-svc", "/q/metrics")), "ok")).as("no mixed images").isZero();
    }

    /** The family a process reports in its metrics: name and hash. */
    private String[] family(String process) throws Exception {
        Matcher m = FAMILY_INFO.matcher(get(mesh.uri(process, "/q/metrics")));
        assertThat(m.find()).as(process + " reports its model family").isTrue();
        return new String[] {m.group(1), m.group(2)};
    }

    /** Calls of any method that ended with {@code outcome}, from a stage's metrics. */
    private static double calls(String metrics, String outcome) {
        Matcher m = Pattern.compile("(?m)^unclip_stage_call_duration_seconds_count\\{[^}]*outcome=\"" + outcome
                + "\"[^}]*\\} ([0-9.]+)$").matcher(metrics);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private String submit(int seed) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(mesh.uri("/v1/jobs"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"prompt": "a large red circle in the center on a blue background",
                                 "size": "64x64", "seed": %d}
                                """.formatted(seed)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private JsonNode finished(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            JsonNode job = JSON.readTree(get(mesh.uri("/v1/jobs/" + id)));
            String state = job.path("state").asText();
            if (state.equals("succeeded") || state.equals("failed") || state.equals("cancelled")) {
                return job;
            }
            assertThat(System.nanoTime()).as("job " + id + " to finish: " + job).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private String get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
