package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;
import org.unclip.gateway.testing.TestRedis;

/**
 * With API keys configured a job belongs to the key that made it: every job-scoped endpoint
 * answers another key exactly as it answers an unknown job. The job hash records a hash of the
 * key, never the key.
 */
@QuarkusTest
@TestProfile(ApiKeysTest.WithKeys.class)
@QuarkusTestResource(FakeStagesResource.class)
class JobOwnershipTest {

    private static final String FIRST = "Bearer sk-first";
    private static final String SECOND = "Bearer sk-second";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestRedis testRedis;

    @TestHTTPResource("/")
    URI base;

    @ConfigProperty(name = "unclip.redis.key-prefix")
    String prefix;

    @BeforeAll
    static void connect() {
        testRedis = new TestRedis();
    }

    @AfterAll
    static void disconnect() {
        testRedis.close();
    }

    private HttpResponse<String> send(String method, String path, String authorization) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String submit(String authorization, String body) throws Exception {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                                .header("Authorization", authorization)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private String awaitState(String id, String authorization, String state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String seen;
        do {
            HttpResponse<String> response = send("GET", "/v1/jobs/" + id, authorization);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            seen = JSON.readTree(response.body()).get("state").asText();
            if (seen.equals(state)) {
                return seen;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("job " + id + " is " + seen + ", expected " + state);
    }

    private String finishedJob(String authorization) throws Exception {
        String id = submit(authorization, "{\"prompt\":\"a red circle\",\"size\":\"64x64\",\"previews\":false}");
        awaitState(id, authorization, "succeeded");
        return id;
    }

    private static String unknownId() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /** The answer to another key is the answer about a job that does not exist, id for id. */
    private void assertAnsweredAsUnknown(String method, String pathOf, String id, String authorization) throws Exception {
        String unknown = unknownId();
        HttpResponse<String> refused = send(method, pathOf.formatted(id), authorization);
        HttpResponse<String> missing = send(method, pathOf.formatted(unknown), authorization);

        assertThat(missing.statusCode()).as(missing.body()).isEqualTo(404);
        assertThat(refused.statusCode()).as("%s %s: %s", method, pathOf, refused.body()).isEqualTo(404);
        assertThat(refused.body()).isEqualTo(missing.body().replace(unknown, id));
        assertThat(refused.headers().firstValue("content-type")).isEqualTo(missing.headers().firstValue("content-type"));
        assertThat(refused.headers().firstValue(ImagesResource.JOB_ID_HEADER)).isEmpty();
        JsonNode error = JSON.readTree(refused.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void anotherKeysJob_isAnUnknownJob_onEveryJobEndpoint() throws Exception {
        String id = finishedJob(FIRST);

        for (String path : List.of("/v1/jobs/%s", "/v1/jobs/%s/events", "/v1/images/jobs/%s", "/v1/images/results/%s/0.png")) {
            assertAnsweredAsUnknown("GET", path, id, SECOND);
            HttpResponse<String> own = send("GET", path.formatted(id), FIRST);
            assertThat(own.statusCode()).as("%s: %s", path, own.body()).isEqualTo(200);
        }
        assertThat(send("GET", "/v1/images/results/" + id + "/0.png", FIRST).headers().firstValue("content-type"))
                .hasValue("image/png");
    }

    @Test
    void anotherKey_cannotCancelAJob() throws Exception {
        // The fake prior takes seconds for this job, so it is still queued or running below.
        String id = submit(FIRST, "{\"prompt\":\"a slow red circle\",\"size\":\"64x64\",\"prior_steps\":150}");

        assertAnsweredAsUnknown("DELETE", "/v1/jobs/%s", id, SECOND);

        HttpResponse<String> job = send("GET", "/v1/jobs/" + id, FIRST);
        assertThat(JSON.readTree(job.body()).get("state").asText()).isIn("queued", "running");
        HttpResponse<String> cancelled = send("DELETE", "/v1/jobs/" + id, FIRST);
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(JSON.readTree(cancelled.body()).get("state").asText()).isEqualTo("cancelled");
    }

    @Test
    void storedImages_loadWithoutAKey_butNotWithAnotherOne() throws Exception {
        String id = finishedJob(FIRST);
        String url = "/v1/images/results/" + id + "/0.png";

        // Browsers load <img> and url results without headers: the URL itself is the capability.
        HttpResponse<String> noKey = send("GET", url, null);
        assertThat(noKey.statusCode()).isEqualTo(200);
        assertThat(noKey.headers().firstValue("content-type")).hasValue("image/png");
        assertAnsweredAsUnknown("GET", "/v1/images/results/%s/0.png", id, SECOND);
        assertAnsweredAsUnknown("GET", "/v1/images/results/%s/0.png", id, "Bearer sk-not-a-key");
    }

    @Test
    void theJobRecordsAHashOfItsKey_neverTheKey() throws Exception {
        String first = submit(FIRST, "{\"prompt\":\"a blue square\",\"size\":\"64x64\",\"previews\":false}");
        String againFirst = submit("bearer  sk-first ", "{\"prompt\":\"a blue square\",\"size\":\"64x64\",\"previews\":false}");
        String second = submit(SECOND, "{\"prompt\":\"a blue square\",\"size\":\"64x64\",\"previews\":false}");

        String owner = testRedis.sync().hget(prefix + "job:" + first, "owner");
        assertThat(owner).matches("[0-9a-f]{64}").doesNotContain("sk-first");
        assertThat(testRedis.sync().hgetall(prefix + "job:" + first).values()).noneMatch(v -> v.contains("sk-first"));
        assertThat(testRedis.sync().hget(prefix + "job:" + againFirst, "owner")).isEqualTo(owner);
        assertThat(testRedis.sync().hget(prefix + "job:" + second, "owner")).matches("[0-9a-f]{64}").isNotEqualTo(owner);
        // The same key, however its header is written, sees its jobs.
        assertThat(send("GET", "/v1/jobs/" + againFirst, FIRST).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/jobs/" + first, "bearer  sk-first ").statusCode()).isEqualTo(200);
        for (String id : List.of(first, againFirst, second)) {
            awaitState(id, id.equals(second) ? SECOND : FIRST, "succeeded");
        }
    }

    @Test
    void oneKeyCannotFillTheQueue_anotherKeyStillGetsIn() throws Exception {
        String first = submit(FIRST, "{\"prompt\":\"a red circle\",\"size\":\"64x64\"}");
        String owner = testRedis.sync().hget(prefix + "job:" + first, "owner");
        String queue = prefix + "queue";
        String ownerQueue = prefix + "queue:" + owner;
        List<String> fillers = new java.util.ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 25; i++) { // unclip.jobs.max-queued-per-key
            String filler = "owner-filler-" + i;
            fillers.add(filler);
            testRedis.sync().zadd(queue, now, filler);
            testRedis.sync().zadd(ownerQueue, now, filler);
        }
        try {
            HttpResponse<String> refused =
                    HTTP.send(
                            HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                                    .header("Authorization", FIRST)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a blue circle\",\"size\":\"64x64\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());

            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
            assertThat(JSON.readTree(refused.body()).at("/error/message").asText()).contains("This API key already has 25 jobs waiting");
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
            assertThat(submit(SECOND, "{\"prompt\":\"a green circle\",\"size\":\"64x64\"}")).as("the other key gets in").isNotBlank();
        } finally {
            testRedis.sync().zrem(queue, fillers.toArray(String[]::new));
            testRedis.sync().zrem(ownerQueue, fillers.toArray(String[]::new));
        }
        testRedis.sync().zadd(ownerQueue, now, "gone-from-the-queue");
        assertThat(submit(FIRST, "{\"prompt\":\"a yellow circle\",\"size\":\"64x64\"}"))
                .as("members that left the queue do not count").isNotBlank();
        assertThat(testRedis.sync().zscore(ownerQueue, "gone-from-the-queue")).isNull();
    }
}
