package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;
import org.unclip.gateway.testing.TestRedis;

/**
 * The worker side of the queue against the real Redis: entries of crashed consumers are
 * reclaimed, crash loops and stale jobs are failed, duplicates are skipped.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class JobRecoveryTest {

    private static TestRedis testRedis;

    @Inject JobStore store;

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

    /** Writes a job hash the way {@link JobStore#submit} does, with some fields overridden. */
    private String storeJob(Map<String, String> overrides) throws Exception {
        String id = UUID.randomUUID().toString().replace("-", "");
        JobSpec spec = JobSpec.generation("req_recovery", "a red circle", 64, List.of(3L));
        long now = Instant.now().toEpochMilli();
        Map<String, String> fields = new HashMap<>();
        fields.put(JobStore.ID, id);
        fields.put(JobStore.REQUEST_ID, spec.requestId());
        fields.put(JobStore.STATE, JobState.QUEUED.wireName());
        fields.put(JobStore.SPEC, new ObjectMapper().writeValueAsString(spec));
        fields.put(JobStore.N, "1");
        fields.put(JobStore.CREATED_AT, Long.toString(now));
        fields.put(JobStore.UPDATED_AT, Long.toString(now));
        fields.put(JobStore.WAIT_UNTIL, Long.toString(now + 60_000));
        fields.put(JobStore.ATTEMPTS, "0");
        fields.putAll(overrides);
        redis().hset(store.keys().job(id), fields);
        redis().expire(store.keys().job(id), 600);
        return id;
    }

    private Map<String, String> awaitTerminal(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, String> job = redis().hgetall(store.keys().job(id));
            String state = job.get(JobStore.STATE);
            if ("succeeded".equals(state) || "failed".equals(state)) {
                return job;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " did not finish: " + redis().hgetall(store.keys().job(id)));
    }

    private void awaitNothingPending() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (redis().xpending(store.keys().stream(), store.group()).getCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(redis().xpending(store.keys().stream(), store.group()).getCount()).isZero();
    }

    @Test
    void entryOfACrashedConsumer_isReclaimedAndRun() throws Exception {
        store.ensureGroup();
        String id = storeJob(Map.of());

        // Queue the job and hand it to a consumer that then "crashes" (never acknowledges), in one
        // transaction so the live worker cannot take it first.
        redis().multi();
        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        redis()
                .xreadgroup(
                        Consumer.from(store.group(), "crashed-worker"),
                        XReadArgs.Builder.count(1),
                        XReadArgs.StreamOffset.lastConsumed(store.keys().stream()));
        TransactionResult result = redis().exec();
        List<StreamMessage<String, String>> delivered = result.get(1);
        assertThat(delivered).singleElement().satisfies(m -> assertThat(m.getBody()).containsEntry("job", id));

        Map<String, String> job = awaitTerminal(id);

        assertThat(job).containsEntry(JobStore.STATE, "succeeded").containsEntry(JobStore.ATTEMPTS, "1");
        assertThat(job.get(JobStore.WORKER)).isNotEqualTo("crashed-worker");
        assertThat(store.results(id)).hasValueSatisfying(images -> assertThat(images).singleElement().satisfies(i -> assertThat(i.seed()).isEqualTo(3L)));
        awaitNothingPending();
    }

    @Test
    void jobThatKeepsCrashingWorkers_isFailedInsteadOfRunAgain() throws Exception {
        String id = storeJob(Map.of(JobStore.ATTEMPTS, "3"));

        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        Map<String, String> job = awaitTerminal(id);

        assertThat(job)
                .containsEntry(JobStore.STATE, "failed")
                .containsEntry(JobStore.ERROR_STATUS, "500")
                .containsEntry(JobStore.ERROR_CODE, "too_many_attempts");
        awaitNothingPending();
    }

    @Test
    void jobNobodyWaitsForAnyMore_isNotRun() throws Exception {
        String id = storeJob(Map.of(JobStore.WAIT_UNTIL, Long.toString(Instant.now().toEpochMilli() - 1)));

        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        Map<String, String> job = awaitTerminal(id);

        assertThat(job)
                .containsEntry(JobStore.STATE, "failed")
                .containsEntry(JobStore.ERROR_CODE, "queue_timeout")
                .containsEntry(JobStore.ATTEMPTS, "0");
    }

    @Test
    void redeliveredEntryOfAFinishedJob_isAcknowledgedWithoutRunning() throws Exception {
        String id = storeJob(Map.of(JobStore.STATE, "succeeded"));

        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        awaitNothingPending();
        Thread.sleep(200);

        assertThat(redis().hgetall(store.keys().job(id)))
                .containsEntry(JobStore.STATE, "succeeded")
                .containsEntry(JobStore.ATTEMPTS, "0");
    }

    @Test
    void everyKey_livesUnderTheConfiguredPrefix() {
        assertThat(store.keys().stream()).startsWith("unclip-test-").endsWith(":jobs");
        assertThat(store.keys().job("x")).isEqualTo(store.keys().prefix() + "job:x");
    }
}
