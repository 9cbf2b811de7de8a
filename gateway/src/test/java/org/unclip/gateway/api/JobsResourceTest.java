package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.jobs.Seeds;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;
import org.unclip.gateway.testing.TestRedis;

/**
 * Asynchronous jobs, their events, cancellation, Idempotency-Key and the queue bound, through the
 * real Redis with fake stages behind it.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class JobsResourceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestRedis testRedis;

    @TestHTTPResource("/")
    URI base;

    @ConfigProperty(name = "unclip.redis.key-prefix")
    String prefix;

    @ConfigProperty(name = "unclip.jobs.max-queued")
    int maxQueued;

    FakeStages stages;

    @BeforeAll
    static void connect() {
        testRedis = new TestRedis();
    }

    @AfterAll
    static void disconnect() {
        testRedis.close();
    }

    private static RedisCommands<String, String> redis() {
        return testRedis.sync();
    }

    // ------------------------------------------------------------------ helpers

    private HttpResponse<String> postJob(String body, String idempotencyKey) throws Exception {
        return post("/v1/jobs", body, idempotencyKey);
    }

    private HttpResponse<String> post(String path, String body, String idempotencyKey) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> delete(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode job(String id) throws Exception {
        HttpResponse<String> response = get("/v1/jobs/" + id);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private String submitted(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private String awaitState(String id, String state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String seen;
        do {
            seen = job(id).get("state").asText();
            if (seen.equals(state)) {
                return seen;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("job " + id + " is " + seen + ", expected " + state);
    }

    /** A slow job (the fake prior takes 7.5 s), running once this returns. */
    private String startSlowJob(String prompt) throws Exception {
        String id = submitted(postJob("{\"prompt\":\"" + prompt + "\",\"size\":\"64x64\",\"prior_steps\":150}", null));
        await("the slow job to reach the prior", Duration.ofSeconds(15), () -> stages.slowPriorCalls.get() > 0);
        awaitState(id, "running");
        return id;
    }

    private record SseEvent(String name, String id, String data) {}

    /** Reads the whole event stream (it ends after a terminal event). */
    private List<SseEvent> events(String jobId, String lastEventId) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve("/v1/jobs/" + jobId + "/events")).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<String> response =
                HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()).get(30, TimeUnit.SECONDS);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<SseEvent> events = new ArrayList<>();
        String name = null;
        String id = null;
        StringBuilder data = new StringBuilder();
        for (String line : (response.body() + "\n\n").split("\n", -1)) {
            if (line.isEmpty()) {
                if (name != null || data.length() > 0) {
                    events.add(new SseEvent(name, id, data.toString()));
                }
                name = null;
                id = null;
                data.setLength(0);
            } else if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("id:")) {
                id = line.substring(3).trim();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5).trim());
            }
        }
        return events;
    }

    private static List<String> names(List<SseEvent> events) {
        return events.stream().map(SseEvent::name).toList();
    }

    private static void assertOpenAiError(HttpResponse<String> response, int status, String code) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.has("message") && error.has("type") && error.has("param") && error.has("code")).as(response.body()).isTrue();
        if (code != null) {
            assertThat(error.get("code").asText()).isEqualTo(code);
        }
    }

    private long streamLength() {
        return redis().xlen(prefix + "jobs");
    }

    // ------------------------------------------------------------------ tests

    @Test
    void submit_answers202AtOnce_andTheJobGoesFromQueuedToSucceeded() throws Exception {
        HttpResponse<String> response = postJob("{\"prompt\":\"a red square\",\"n\":2,\"size\":\"64x64\",\"seed\":11}", null);

        String id = submitted(response);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("object").asText()).isEqualTo("image.generation.job");
        assertThat(body.get("state").asText()).isIn("queued", "running", "succeeded");
        long[] seeds = Seeds.forImages(11, 2);
        assertThat(body.get("seeds").get(0).asLong()).isEqualTo(seeds[0]);
        assertThat(body.get("seeds").get(1).asLong()).isEqualTo(seeds[1]);
        assertThat(response.headers().firstValue("location")).hasValueSatisfying(v -> assertThat(v).endsWith("/v1/jobs/" + id));
        assertThat(response.headers().firstValue("x-unclip-job-id")).hasValue(id);

        awaitState(id, "succeeded");
        JsonNode done = job(id);
        assertThat(done.has("queue_position")).isFalse();
        assertThat(done.get("data")).hasSize(2);
        assertThat(done.get("data").get(1).get("seed").asLong()).isEqualTo(seeds[1]);
        HttpResponse<String> image = get(URI.create(done.get("data").get(0).get("url").asText()).getPath());
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.headers().firstValue("content-type")).hasValue("image/png");
        // The transitions, as the events record them.
        assertThat(names(events(id, null))).containsSubsequence("queued", "started", "progress", "completed");
    }

    @Test
    void events_streamQueuedStageProgressPreviewAndCompleted_inOrder_evenForALateSubscriber() throws Exception {
        String id = submitted(postJob("{\"prompt\":\"a blue circle\",\"size\":\"64x64\",\"seed\":5}", null));

        List<SseEvent> events = events(id, null);

        List<String> names = names(events);
        assertThat(names.get(0)).isEqualTo("queued");
        assertThat(names.get(names.size() - 1)).isEqualTo("completed");
        assertThat(names).containsSubsequence("queued", "started", "stage", "progress", "preview", "completed");
        assertThat(names).doesNotContain("failed", "cancelled");
        JsonNode progress = JSON.readTree(events.get(names.indexOf("progress")).data());
        assertThat(progress.get("stage").asText()).isNotEmpty();
        assertThat(progress.get("total_steps").asInt()).isPositive();
        JsonNode preview = JSON.readTree(events.get(names.indexOf("preview")).data());
        byte[] png = java.util.Base64.getDecoder().decode(preview.get("png").asText());
        assertThat(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png))).isNotNull();
        JsonNode completed = JSON.readTree(events.get(names.size() - 1).data());
        assertThat(completed.get("data").get(0).get("seed").asLong()).isEqualTo(5);

        // The stream is in Redis: a subscriber after the end gets the same history, and
        // Last-Event-ID resumes after the given event.
        assertThat(names(events(id, null))).isEqualTo(names);
        assertThat(names(events(id, events.get(0).id()))).isEqualTo(names.subList(1, names.size()));
    }

    @Test
    void previews_areOnByDefaultForJobs_offWhenTheJobSaysSo_andNeverForTheWaitingEndpoint() throws Exception {
        String withPreviews = submitted(postJob("{\"prompt\":\"a preview circle\",\"size\":\"64x64\"}", null));
        awaitState(withPreviews, "succeeded");
        assertThat(stages.lastDecoderRequest.getPreviews()).isTrue();
        assertThat(names(events(withPreviews, null))).contains("preview");

        String without = submitted(postJob("{\"prompt\":\"a quiet circle\",\"size\":\"64x64\",\"previews\":false}", null));
        awaitState(without, "succeeded");
        assertThat(stages.lastDecoderRequest.getPreviews()).isFalse();
        assertThat(names(events(without, null))).contains("progress", "completed").doesNotContain("preview");

        String explicit = submitted(postJob("{\"previews\":true,\"prompt\":\"a loud circle\",\"size\":\"64x64\"}", null));
        awaitState(explicit, "succeeded");
        assertThat(stages.lastDecoderRequest.getPreviews()).isTrue();

        HttpResponse<String> sync = post("/v1/images/generations", "{\"prompt\":\"a waited-for circle\",\"size\":\"64x64\"}", null);
        assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
        assertThat(stages.lastDecoderRequest.getPreviews()).isFalse();
    }

    @Test
    void previews_mustBeABoolean_andOnlyJobsTakeIt() throws Exception {
        HttpResponse<String> notBoolean = postJob("{\"prompt\":\"a circle\",\"previews\":\"yes\"}", null);
        assertOpenAiError(notBoolean, 400, "invalid_type");
        assertThat(JSON.readTree(notBoolean.body()).at("/error/param").asText()).isEqualTo("previews");

        // The waiting endpoint returns the images at the end; nobody could watch its previews.
        HttpResponse<String> sync = post("/v1/images/generations", "{\"prompt\":\"a circle\",\"previews\":true}", null);
        assertOpenAiError(sync, 400, "unknown_parameter");
        assertThat(JSON.readTree(sync.body()).at("/error/param").asText()).isEqualTo("previews");
    }

    @Test
    void deletingARunningJob_cancelsItAndItsStageCall() throws Exception {
        int cancellationsBefore = stages.priorCancellations.get();
        String id = startSlowJob("a slow green triangle");

        HttpResponse<String> response = delete("/v1/jobs/" + id);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("state").asText()).isEqualTo("cancelled");
        await("the prior to see its call cancelled", Duration.ofSeconds(3), () -> stages.priorCancellations.get() > cancellationsBefore);
        await("the slow prior call to stop", Duration.ofSeconds(3), () -> stages.slowPriorCalls.get() == 0);
        assertThat(job(id).get("state").asText()).isEqualTo("cancelled");
        assertThat(names(events(id, null))).endsWith("cancelled").doesNotContain("completed", "failed");
        // Cancelling again is harmless.
        assertThat(delete("/v1/jobs/" + id).statusCode()).isEqualTo(200);
    }

    @Test
    void deletingAQueuedJob_meansItNeverRuns() throws Exception {
        String running = startSlowJob("a slow yellow square");
        String prompt = "a queued purple circle " + UUID.randomUUID();
        String queued = submitted(postJob("{\"prompt\":\"" + prompt + "\",\"size\":\"64x64\"}", null));
        JsonNode view = job(queued);
        assertThat(view.get("state").asText()).isEqualTo("queued");
        assertThat(view.get("queue_position").asLong()).isZero();

        HttpResponse<String> response = delete("/v1/jobs/" + queued);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).get("state").asText()).isEqualTo("cancelled");
        assertThat(delete("/v1/jobs/" + running).statusCode()).isEqualTo(200);
        // A job queued after both runs, so the worker has passed the cancelled entry.
        String after = submitted(postJob("{\"prompt\":\"a later white circle\",\"size\":\"64x64\"}", null));
        awaitState(after, "succeeded");
        assertThat(stages.prompts).doesNotContain(prompt);
        assertThat(job(queued).get("state").asText()).isEqualTo("cancelled");
        assertThat(names(events(queued, null))).containsExactly("queued", "cancelled");
    }

    @Test
    void deletingAFinishedOrUnknownJob_isAnError() throws Exception {
        String id = submitted(postJob("{\"prompt\":\"a red circle\",\"size\":\"64x64\"}", null));
        awaitState(id, "succeeded");

        assertOpenAiError(delete("/v1/jobs/" + id), 409, "job_finished");
        assertOpenAiError(delete("/v1/jobs/0123456789abcdef0123456789abcdef"), 404, null);
        assertOpenAiError(get("/v1/jobs/0123456789abcdef0123456789abcdef"), 404, null);
        assertOpenAiError(get("/v1/jobs/nope/events"), 404, null);
    }

    @Test
    void withoutApiKeys_jobsHaveNoOwner_andAnyCallerSeesThem() throws Exception {
        String id = submitted(postJob("{\"prompt\":\"a red circle\",\"size\":\"64x64\",\"previews\":false}", null));
        awaitState(id, "succeeded");

        assertThat(redis().hget(prefix + "job:" + id, "owner")).isEmpty();
        for (String path : List.of("/v1/jobs/" + id, "/v1/images/jobs/" + id, "/v1/images/results/" + id + "/0.png")) {
            HttpResponse<String> response =
                    HTTP.send(
                            HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer anyone").GET().build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path).isEqualTo(200);
        }
    }

    @Test
    void idempotencyKey_repeatReturnsTheSameJob_andQueuesOnlyOne() throws Exception {
        String key = "key-" + UUID.randomUUID();
        String body = "{\"prompt\":\"a green square\",\"size\":\"64x64\"}";
        long before = streamLength();

        HttpResponse<String> first = postJob(body, key);
        HttpResponse<String> second = postJob(body, key);

        String id = submitted(first);
        assertThat(submitted(second)).isEqualTo(id);
        assertThat(second.headers().firstValue("idempotent-replayed")).hasValue("true");
        assertThat(first.headers().firstValue("idempotent-replayed")).isEmpty();
        // Without a seed one is drawn: the repeat reports the first request's.
        assertThat(JSON.readTree(second.body()).get("seeds")).isEqualTo(JSON.readTree(first.body()).get("seeds"));
        assertThat(streamLength()).isEqualTo(before + 1);
        awaitState(id, "succeeded");
        assertThat(submitted(postJob(body, key))).isEqualTo(id);
        assertThat(streamLength()).isEqualTo(before + 1);
    }

    @Test
    void idempotencyKey_onGenerations_answersTheSameImagesWithoutNewWork() throws Exception {
        String key = "key-" + UUID.randomUUID();
        String body = "{\"prompt\":\"an orange circle\",\"size\":\"64x64\"}";
        long before = streamLength();

        HttpResponse<String> first = post("/v1/images/generations", body, key);
        HttpResponse<String> second = post("/v1/images/generations", body, key);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-unclip-job-id")).isEqualTo(first.headers().firstValue("x-unclip-job-id"));
        assertThat(JSON.readTree(second.body()).get("data")).isEqualTo(JSON.readTree(first.body()).get("data"));
        assertThat(streamLength()).isEqualTo(before + 1);
    }

    /** What Redis does once job-ttl / result-ttl have passed. */
    private void expire(String jobId, boolean jobToo) {
        redis().del(prefix + "result:" + jobId);
        if (jobToo) {
            redis().del(prefix + "job:" + jobId, prefix + "job-events:" + jobId);
        }
    }

    @Test
    void idempotencyKey_afterItsJobExpired_isFreeAgain_andQueuesANewJob() throws Exception {
        String key = "key-" + UUID.randomUUID();
        String body = "{\"prompt\":\"a teal square\",\"size\":\"64x64\"}";
        String first = submitted(postJob(body, key));
        awaitState(first, "succeeded");
        expire(first, true);
        long before = streamLength();

        HttpResponse<String> again = postJob(body, key);

        String second = submitted(again);
        assertThat(second).isNotEqualTo(first);
        assertThat(again.headers().firstValue("idempotent-replayed")).isEmpty();
        assertThat(streamLength()).isEqualTo(before + 1);
        // The key now names the new job.
        HttpResponse<String> replay = postJob(body, key);
        assertThat(submitted(replay)).isEqualTo(second);
        assertThat(replay.headers().firstValue("idempotent-replayed")).hasValue("true");
        awaitState(second, "succeeded");
    }

    @Test
    void idempotencyKey_onGenerations_afterItsJobExpired_makesTheImagesAgain() throws Exception {
        String key = "key-" + UUID.randomUUID();
        String body = "{\"prompt\":\"a teal circle\",\"size\":\"64x64\",\"seed\":3}";
        HttpResponse<String> first = post("/v1/images/generations", body, key);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        String firstJob = first.headers().firstValue("x-unclip-job-id").orElseThrow();
        expire(firstJob, true);

        HttpResponse<String> again = post("/v1/images/generations", body, key);

        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(again.headers().firstValue("x-unclip-job-id")).isPresent().isNotEqualTo(Optional.of(firstJob));
        assertThat(again.headers().firstValue("idempotent-replayed")).isEmpty();
        assertThat(JSON.readTree(again.body()).get("data")).isEqualTo(JSON.readTree(first.body()).get("data"));
    }

    @Test
    void idempotencyKey_onGenerations_whoseImagesExpired_is404_notA5xx() throws Exception {
        String key = "key-" + UUID.randomUUID();
        String body = "{\"prompt\":\"a teal triangle\",\"size\":\"64x64\"}";
        HttpResponse<String> first = post("/v1/images/generations", body, key);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        String firstJob = first.headers().firstValue("x-unclip-job-id").orElseThrow();
        expire(firstJob, false);

        HttpResponse<String> again = post("/v1/images/generations", body, key);

        assertOpenAiError(again, 404, "result_expired");
        assertThat(JSON.readTree(again.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(JSON.readTree(again.body()).at("/error/message").asText()).contains("new Idempotency-Key");
        assertThat(again.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(again.headers().firstValue("x-unclip-job-id")).hasValue(firstJob);
    }

    @Test
    void idempotencyKey_withADifferentBody_is409() throws Exception {
        String key = "key-" + UUID.randomUUID();
        submitted(postJob("{\"prompt\":\"a red square\",\"size\":\"64x64\"}", key));
        long before = streamLength();

        HttpResponse<String> conflict = postJob("{\"prompt\":\"a blue square\",\"size\":\"64x64\"}", key);
        HttpResponse<String> otherEndpoint = post("/v1/images/generations", "{\"prompt\":\"a red square\",\"size\":\"64x64\"}", key);

        assertOpenAiError(conflict, 409, "idempotency_key_reused");
        assertThat(conflict.headers().firstValue("x-should-retry")).hasValue("false");
        assertOpenAiError(otherEndpoint, 409, "idempotency_key_reused");
        assertThat(streamLength()).isEqualTo(before);
    }

    @Test
    void fullQueue_answers429WithRetryAfter_andWritesNothing() throws Exception {
        String queue = prefix + "queue";
        List<String> fillers = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < maxQueued; i++) {
            String filler = "filler-" + i;
            fillers.add(filler);
            redis().zadd(queue, now, filler);
        }
        try {
            long streamBefore = streamLength();
            long keysBefore = redis().keys(prefix + "*").size();
            String key = "key-" + UUID.randomUUID();

            HttpResponse<String> refused = postJob("{\"prompt\":\"a red circle\",\"size\":\"64x64\"}", key);
            HttpResponse<String> refusedSync = post("/v1/images/generations", "{\"prompt\":\"a red circle\",\"size\":\"64x64\"}", null);

            assertOpenAiError(refused, 429, "rate_limit_exceeded");
            assertThat(JSON.readTree(refused.body()).at("/error/type").asText()).isEqualTo("requests");
            assertThat(JSON.readTree(refused.body()).at("/error/message").asText()).contains("queue is full");
            assertThat(refused.headers().firstValue("retry-after")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
            assertOpenAiError(refusedSync, 429, "rate_limit_exceeded");
            assertThat(JSON.readTree(refusedSync.body()).at("/error/type").asText()).isEqualTo("requests");
            assertThat(streamLength()).isEqualTo(streamBefore);
            assertThat(redis().keys(prefix + "*")).hasSize((int) keysBefore);
            assertThat(redis().zcard(queue)).isEqualTo(maxQueued);

            redis().zrem(queue, fillers.toArray(String[]::new));
            // The refused key was not remembered: it now creates a job.
            HttpResponse<String> accepted = postJob("{\"prompt\":\"a red circle\",\"size\":\"64x64\"}", key);
            submitted(accepted);
            assertThat(accepted.headers().firstValue("idempotent-replayed")).isEmpty();
            assertThat(streamLength()).isEqualTo(streamBefore + 1);
        } finally {
            redis().zrem(queue, fillers.toArray(String[]::new));
        }
    }

    @Test
    void eventStreams_areBounded_andAClosedOneFreesItsPlace() throws Exception {
        String id = startSlowJob("a slow streamed circle");
        List<java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>>> open = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) { // %test.unclip.jobs.max-event-streams
                open.add(HTTP.sendAsync(
                        HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id + "/events")).header("Accept", "text/event-stream").GET().build(),
                        HttpResponse.BodyHandlers.ofLines()));
            }
            for (var stream : open) {
                assertThat(stream.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }

            HttpResponse<String> refused = get("/v1/jobs/" + id + "/events");

            assertOpenAiError(refused, 429, "rate_limit_exceeded");
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
        } finally {
            assertThat(delete("/v1/jobs/" + id).statusCode()).isEqualTo(200); // the streams end with 'cancelled'
            for (var stream : open) {
                stream.get(10, TimeUnit.SECONDS).body().close();
            }
        }
        await("every stream to free its place", Duration.ofSeconds(5), () -> {
            try {
                return get("/v1/jobs/" + id + "/events").statusCode() == 200;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
