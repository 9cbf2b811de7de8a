package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;
import org.unclip.gateway.testing.TestRedis;

/**
 * One job, one outcome: runs hold an attempt token that every write checks, a stale run cannot
 * change a job another run owns, and a gateway that shuts down hands its jobs back instead of
 * failing them. Against the real Redis, with the gateway's own worker running beside.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class JobRunsTest {

    private static TestRedis testRedis;

    @Inject JobStore store;
    @Inject JobWorker worker;
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

    private StoredJobs jobs() {
        return new StoredJobs(store, redis());
    }

    private static final List<ImageResult> IMAGES = List.of(new ImageResult(new byte[] {1, 2, 3}, 3L, 64, 64));

    private static Attempt started(Start start) {
        assertThat(start).isInstanceOf(Start.Started.class);
        return ((Start.Started) start).attempt();
    }

    @Test
    void aStaleRun_cannotChangeAJobAnotherRunOwns() {
        String id = jobs().store(JobSpec.generation("req_stale", "a red circle", 64, List.of(3L)), Map.of());

        Attempt stale = started(store.start(id, "paused-gateway", 3));
        Start second = store.start(id, "live-gateway", 3); // the entry was reclaimed meanwhile
        Attempt live = started(second);

        assertThat(live.number()).isEqualTo(stale.number() + 1);
        assertThat(((Start.Started) second).crashes()).as("the unfinished run counts as a crash").isEqualTo(1);
        assertThat(store.progress(stale, "decoder", 3, 10)).isEqualTo(Write.SUPERSEDED);
        assertThat(store.succeed(stale, IMAGES)).isEqualTo(Write.SUPERSEDED);
        assertThat(store.fail(stale, ApiError.server(500, "late", "late"))).isEqualTo(Write.SUPERSEDED);
        assertThat(store.results(id)).isEmpty();
        assertThat(redis().hget(store.keys().job(id), JobStore.STATE)).isEqualTo("running");

        assertThat(store.progress(live, "decoder", 3, 10)).isEqualTo(Write.DONE);
        assertThat(store.succeed(live, IMAGES)).isEqualTo(Write.DONE);

        assertThat(store.fail(live, ApiError.server(500, "after the end", "late"))).isEqualTo(Write.SUPERSEDED);
        assertThat(store.progress(stale, "decoder", 4, 10)).isEqualTo(Write.SUPERSEDED);
        assertThat(redis().hgetall(store.keys().job(id)))
                .containsEntry(JobStore.STATE, "succeeded")
                .containsEntry(JobStore.WORKER, "live-gateway")
                .doesNotContainKey(JobStore.ERROR_CODE);
        assertThat(store.results(id)).hasValueSatisfying(images -> assertThat(images).singleElement()
                .satisfies(image -> assertThat(image.seed()).isEqualTo(3L)));
    }

    @Test
    void theResult_isWrittenWithTheStateAndItsOwnTtl() {
        String id = jobs().store(JobSpec.generation("req_ttl", "a red circle", 64, List.of(3L)), Map.of());
        Attempt run = started(store.start(id, "gateway", 3));

        assertThat(store.succeed(run, IMAGES)).isEqualTo(Write.DONE);

        long ttl = redis().pttl(store.keys().result(id));
        assertThat(ttl).isPositive().isLessThanOrEqualTo(Duration.ofHours(1).toMillis());
        assertThat(redis().hget(store.keys().result(id), "count")).isEqualTo("1");
    }

    @Test
    void aCancelledJob_isNotStarted_andItsRunCannotFinishIt() {
        String id = jobs().store(JobSpec.generation("req_cancel", "a red circle", 64, List.of(3L)), Map.of());
        Attempt run = started(store.start(id, "gateway", 3));

        store.cancel(id);

        assertThat(store.succeed(run, IMAGES)).isEqualTo(Write.CANCELLED);
        assertThat(store.results(id)).isEmpty();
        assertThat(store.start(id, "other", 3)).isEqualTo(new Start.NotRunnable("cancelled"));
    }

    @Test
    void anEntryIsAcknowledged_onlyByTheConsumerThatOwnsIt() {
        store.ensureGroup();
        redis().multi();
        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, "ack-" + UUID.randomUUID()));
        redis().xreadgroup(Consumer.from(store.group(), "first-owner"), XReadArgs.Builder.count(1),
                XReadArgs.StreamOffset.lastConsumed(store.keys().stream()));
        TransactionResult result = redis().exec();
        String entry = result.get(0);
        redis().xclaim(store.keys().stream(), Consumer.from(store.group(), "second-owner"), 0, entry);

        assertThat(store.acknowledge(entry, "first-owner")).isFalse();
        assertThat(redis().xpending(store.keys().stream(), store.group(), Range.create(entry, entry), Limit.from(1))).hasSize(1);
        assertThat(store.acknowledge(entry, "second-owner")).isTrue();
        assertThat(redis().xpending(store.keys().stream(), store.group(), Range.create(entry, entry), Limit.from(1))).isEmpty();
    }

    @Test
    void aHandedOverJob_isQueuedAgain_runsOnce_andNoCrashIsCounted() throws Exception {
        store.ensureGroup();
        String id = jobs().store(JobSpec.generation("req_handover", "a red circle", 64, List.of(3L)), Map.of());
        // a gateway takes the entry (in one transaction, so the live worker cannot take it first)
        redis().multi();
        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        redis().xreadgroup(Consumer.from(store.group(), "leaving-gateway"), XReadArgs.Builder.count(1),
                XReadArgs.StreamOffset.lastConsumed(store.keys().stream()));
        TransactionResult result = redis().exec();
        String entry = result.get(0);
        Attempt run = started(store.start(id, "leaving-gateway", 3));

        assertThat(store.handOver(run, entry)).isEqualTo(Write.DONE);

        assertThat(redis().xpending(store.keys().stream(), store.group(), Range.create(entry, entry), Limit.from(1)))
                .as("the old entry is acknowledged").isEmpty();
        Map<String, String> done = jobs().awaitTerminal(id);
        assertThat(done)
                .containsEntry(JobStore.STATE, "succeeded")
                .containsEntry(JobStore.ATTEMPTS, "2")
                .doesNotContainKey(JobStore.CRASHES);
        assertThat(done.get(JobStore.WORKER)).isNotEqualTo("leaving-gateway");
        assertThat(store.succeed(run, IMAGES)).as("the handed-over run is over").isEqualTo(Write.SUPERSEDED);
        List<String> types = redis().xrange(store.keys().events(id), Range.create("-", "+")).stream()
                .map(StreamMessage::getBody).map(body -> body.get("type")).toList();
        assertThat(types).containsSubsequence("started", "queued", "started", "completed");
    }

    @Test
    void aGatewayThatShutsDown_handsItsRunningJobBack_andTheNextRunResumesAfterTheTextEncoder() throws Exception {
        String prompt = "a slow handover circle " + UUID.randomUUID();
        // prior steps 150: the fake prior takes 7.5 s and stops when its call is cancelled
        JobSpec spec = new JobSpec("req_shutdown", prompt, 64, List.of(5L), 150, 0, 0, 0f, 0f, false, JobSpec.GENERATION, null, null);
        String id = jobs().store(spec, Map.of());
        int cancelledBefore = stages.priorCancellations.get();
        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!"prior".equals(redis().hget(store.keys().job(id), JobStore.STAGE))) {
            assertThat(System.nanoTime()).as("the job to reach the prior").isLessThan(deadline);
            Thread.sleep(20);
        }

        try {
            worker.stop(); // what a SIGTERM does (shutdown grace 0 in tests)

            Map<String, String> handedBack = redis().hgetall(store.keys().job(id));
            assertThat(handedBack)
                    .containsEntry(JobStore.STATE, "queued")
                    .containsEntry(JobStore.ATTEMPTS, "1")
                    .doesNotContainKey(JobStore.ERROR_CODE);
            long stopDeadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (stages.priorCancellations.get() == cancelledBefore && System.nanoTime() < stopDeadline) {
                Thread.sleep(10); // the fake prior notices the cancellation at its next 50 ms step
            }
            assertThat(stages.priorCancellations.get()).as("the prior call was stopped").isGreaterThan(cancelledBefore);
            assertThat(redis().get(store.keys().checkpoint(id, "text-encoder"))).as("the text encoding was kept").isNotNull();
            // the next run meets a prior that answers at once (the slow one outlasts the tests' 5 s deadline)
            JobSpec quick = new JobSpec("req_shutdown", prompt, 64, List.of(5L), 0, 0, 0, 0f, 0f, false, JobSpec.GENERATION, null, null);
            redis().hset(store.keys().job(id), JobStore.SPEC, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(quick));
        } finally {
            worker.start();
        }

        Map<String, String> done = jobs().await(id, Duration.ofSeconds(20), "succeeded", "failed");
        assertThat(done).containsEntry(JobStore.STATE, "succeeded").containsEntry(JobStore.ATTEMPTS, "2").doesNotContainKey(JobStore.CRASHES);
        assertThat(stages.prompts.stream().filter(prompt::equals).count())
                .as("the second run started after the text encoder").isEqualTo(1);
        assertThat(redis().exists(store.keys().checkpoint(id, "text-encoder"), store.keys().checkpoint(id, "prior")))
                .as("checkpoints are dropped once the job has ended").isZero();
    }
}
