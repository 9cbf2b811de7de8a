package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
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
    @Inject JobWaiter waiter;

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

    private String storeJob(Map<String, String> overrides) {
        return new StoredJobs(store, redis()).store(JobSpec.generation("req_recovery", "a red circle", 64, List.of(3L)), overrides);
    }

    private Map<String, String> awaitTerminal(String id) throws InterruptedException {
        return new StoredJobs(store, redis()).awaitTerminal(id);
    }

    /**
     * Waits until the entry has been delivered to a consumer (a consumer group's last-delivered id
     * reaches it) and acknowledged, so it cannot pass before the worker has even seen the entry.
     */
    private void awaitAcknowledged(String entryId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (delivered(entryId)
                    && redis().xpending(store.keys().stream(), store.group(), Range.create(entryId, entryId), Limit.from(1)).isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("stream entry " + entryId + " was not delivered and acknowledged");
    }

    /** True once the group's last-delivered id is at or past the entry. */
    private boolean delivered(String entryId) {
        for (Object group : redis().xinfoGroups(store.keys().stream())) {
            List<?> fields = (List<?>) group;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("name".equals(String.valueOf(fields.get(i))) && !store.group().equals(String.valueOf(fields.get(i + 1)))) {
                    break;
                }
                if ("last-delivered-id".equals(String.valueOf(fields.get(i)))) {
                    return compareIds(String.valueOf(fields.get(i + 1)), entryId) >= 0;
                }
            }
        }
        return false;
    }

    private static int compareIds(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int c = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
        return c != 0 ? c : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
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
        awaitAcknowledged(delivered.get(0).getId());
    }

    @Test
    void jobThatKeepsCrashingWorkers_isFailedInsteadOfRunAgain() throws Exception {
        // three runs started, two found unfinished by the next start; this one is the third crash
        String id = storeJob(Map.of(JobStore.STATE, "running", JobStore.WORKER, "crashed", JobStore.ATTEMPTS, "3", JobStore.CRASHES, "2"));

        String entry = redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        Map<String, String> job = awaitTerminal(id);

        assertThat(job)
                .containsEntry(JobStore.STATE, "failed")
                .containsEntry(JobStore.ERROR_STATUS, "500")
                .containsEntry(JobStore.ERROR_CODE, "too_many_attempts")
                .containsEntry(JobStore.ATTEMPTS, "3")
                .containsEntry(JobStore.CRASHES, "3");
        awaitAcknowledged(entry);
        assertThat(deadLetters()).anySatisfy(e -> assertThat(e).containsEntry("entry", entry).containsEntry("job", id));
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

        String entry = redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        awaitAcknowledged(entry);

        assertThat(redis().hgetall(store.keys().job(id)))
                .containsEntry(JobStore.STATE, "succeeded")
                .containsEntry(JobStore.ATTEMPTS, "0");
    }

    private List<Map<String, String>> deadLetters() {
        return redis().xrange(store.keys().deadLetter(), Range.create("-", "+")).stream().map(StreamMessage::getBody).toList();
    }

    @Test
    void jobWhoseSpecCannotBeRead_failsOnceAndGoesToTheDeadLetterStream() throws Exception {
        String id = storeJob(Map.of(JobStore.SPEC, "{\"prompt\": 12, \"seeds\": \"not a list\""));

        String entry = redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        Map<String, String> job = awaitTerminal(id);
        awaitAcknowledged(entry);

        assertThat(job)
                .containsEntry(JobStore.STATE, "failed")
                .containsEntry(JobStore.ERROR_CODE, "corrupt_job")
                .containsEntry(JobStore.ATTEMPTS, "0");
        assertThat(deadLetters()).anySatisfy(e -> assertThat(e).containsEntry("entry", entry).containsEntry("job", id).containsKey("reason"));
    }

    @Test
    void specWithFieldsOfANewerVersion_stillRuns() throws Exception {
        String spec = new ObjectMapper().writeValueAsString(JobSpec.generation("req_newer", "a red circle", 64, List.of(4L)));
        String newer = spec.substring(0, spec.length() - 1) + ",\"a_field_from_the_future\":{\"x\":1}}";
        String id = storeJob(Map.of(JobStore.SPEC, newer));

        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));

        assertThat(awaitTerminal(id)).containsEntry(JobStore.STATE, "succeeded");
    }

    @Test
    void heartbeat_neverTakesBackAnEntryAnotherConsumerReclaimed() {
        store.ensureGroup();
        redis().multi();
        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, "hb-" + UUID.randomUUID()));
        redis().xreadgroup(Consumer.from(store.group(), "old-owner"), XReadArgs.Builder.count(1), XReadArgs.StreamOffset.lastConsumed(store.keys().stream()));
        TransactionResult result = redis().exec();
        String entry = result.get(0);
        redis().xclaim(store.keys().stream(), Consumer.from(store.group(), "new-owner"), 0, entry);

        boolean stale = store.heartbeat(entry, "old-owner");
        boolean owner = store.heartbeat(entry, "new-owner");

        assertThat(stale).isFalse();
        assertThat(owner).isTrue();
        assertThat(redis().xpending(store.keys().stream(), store.group(), Range.create(entry, entry), Limit.from(1)))
                .singleElement()
                .satisfies(p -> assertThat(p.getConsumer()).isEqualTo("new-owner"));
        redis().xack(store.keys().stream(), store.group(), entry);
    }

    @Test
    void twoWaitersOnOneJob_areBothWoken() throws Exception {
        String id = storeJob(Map.of(JobStore.STATE, JobState.RUNNING.wireName(), JobStore.WORKER, "w", JobStore.ATTEMPTS, "1"));
        var first = waiter.await(id, Duration.ofSeconds(10));
        var second = waiter.await(id, Duration.ofSeconds(10));

        store.succeed(new Attempt(id, "w", 1), List.of(new ImageResult(new byte[] {1, 2, 3}, 9L, 64, 64)));

        assertThat(first.get(10, java.util.concurrent.TimeUnit.SECONDS).status().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(second.get(10, java.util.concurrent.TimeUnit.SECONDS).status().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(waiter.waitingCount()).isZero();
    }

    @Test
    void everyKey_livesUnderTheConfiguredPrefix() {
        assertThat(store.keys().stream()).startsWith("unclip-test-").endsWith(":jobs");
        assertThat(store.keys().job("x")).isEqualTo(store.keys().prefix() + "job:x");
    }
}
