package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * One gateway runs several jobs at once (unclip.jobs.worker.max-in-flight), each stage gets at
 * most its own number of calls from it (unclip.stages.*-max-in-flight), a stage at capacity
 * (RESOURCE_EXHAUSTED) is waited for, and the job still succeeds. Real Redis, fake stages over gRPC.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
@TestProfile(JobPipeliningTest.Pipelined.class)
class JobPipeliningTest {

    public static class Pipelined implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "unclip.jobs.worker.max-in-flight", "4",
                    "unclip.stages.prior-max-in-flight", "2",
                    "unclip.stages.prior-deadline", "20s",
                    "unclip.stages.decoder-deadline", "20s");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    FakeStages stages;

    private String submit(String body) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private JsonNode job(String id) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    /** Whether the job is in {@code state} now (false while it cannot be read). */
    private boolean inState(String id, String state) {
        try {
            return job(id).get("state").asText().equals(state);
        } catch (Exception e) {
            return false;
        }
    }

    private void cancel(String id) throws Exception {
        HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void severalJobsRunAtOnce_andEachStageGetsAtMostItsLimit() throws Exception {
        List<String> slow = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            slow.add(submit("{\"prompt\":\"a slow red circle " + i + "\",\"size\":\"64x64\",\"prior_steps\":150}"));
        }
        try {
            await("two slow prior calls at once", Duration.ofSeconds(10), () -> stages.slowPriorCalls.get() == 2);
            await("all three jobs running", Duration.ofSeconds(10),
                    () -> slow.stream().allMatch(id -> inState(id, "running")));
            // the third waits for a prior slot: never three prior calls at once
            for (int i = 0; i < 20; i++) {
                assertThat(stages.slowPriorCalls.get()).isLessThanOrEqualTo(2);
                Thread.sleep(20);
            }
            // a fourth job still gets a slot and finishes while the slow ones run
            String quick = submit("{\"prompt\":\"a quick blue square\",\"size\":\"64x64\"}");
            await("a quick job beside slow ones", Duration.ofSeconds(10), () -> inState(quick, "succeeded"));
        } finally {
            for (String id : slow) {
                cancel(id);
            }
        }
        await("the slow calls to stop", Duration.ofSeconds(10), () -> stages.slowPriorCalls.get() == 0);
    }

    @Test
    void aDecoderAtCapacity_isWaitedFor_andTheJobSucceeds() throws Exception {
        int before = stages.decoderRefusals.get();
        String id = submit("{\"prompt\":\"a busy green triangle\",\"size\":\"64x64\",\"decoder_steps\":943}");
        await("the job to succeed", Duration.ofSeconds(15), () -> inState(id, "succeeded"));
        assertThat(stages.decoderRefusals.get() - before).as("RESOURCE_EXHAUSTED answers waited out").isEqualTo(3);
        assertThat(job(id).get("data")).hasSize(1);
    }
}
