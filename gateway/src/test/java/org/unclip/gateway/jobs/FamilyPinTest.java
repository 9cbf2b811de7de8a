package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.TextEncoderServiceGrpc;
import org.unclip.gateway.testing.FakeFamilies;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;
import org.unclip.gateway.testing.TestRedis;

/**
 * A job runs on one model family: the first stage answer pins it, the later calls expect it, a
 * replica of another family is passed over, and a job no replica can serve fails with
 * {@code model_family_mismatch} (503). A run resumed from stage checkpoints keeps their family.
 * The gateway's own worker runs the jobs, against the fake stages and the real Redis.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class FamilyPinTest {

    private static final String PINNED = FakeFamilies.NAME + "/" + FakeFamilies.HASH;

    private static TestRedis testRedis;

    @Inject JobStore store;
    FakeStages stages;

    @BeforeAll
    static void connect() {
        testRedis = new TestRedis();
    }

    @AfterAll
    static void disconnect() {
        testRedis.close();
    }

    @BeforeEach
    void reset() {
        stages.families.reset();
    }

    private static RedisCommands<String, String> redis() {
        return testRedis.sync();
    }

    /** Queues a job for the gateway's worker; answers its id. */
    private String run(String prompt, Map<String, String> overrides) {
        return enqueue(stored(prompt, overrides));
    }

    /** A stored job no worker can see yet (checkpoints written now are there when it starts). */
    private String stored(String prompt, Map<String, String> overrides) {
        return new StoredJobs(store, redis()).store(JobSpec.generation("req_family", prompt, 64, List.of(7L)), overrides);
    }

    private String enqueue(String id) {
        redis().xadd(store.keys().stream(), Map.of(JobStore.STREAM_FIELD_JOB, id));
        return id;
    }

    private Map<String, String> finished(String id) throws InterruptedException {
        return new StoredJobs(store, redis()).await(id, Duration.ofSeconds(20), "succeeded", "failed");
    }

    @Test
    void theFirstAnswerPinsTheJob_andEveryLaterCallExpectsItsFamily() throws Exception {
        Map<String, String> done = finished(run("a red circle", Map.of()));

        assertThat(done).containsEntry(JobStore.STATE, "succeeded");
        assertThat(stages.families.lastExpected)
                .containsEntry("text-encoder", "")
                .containsEntry("prior", PINNED)
                .containsEntry("decoder", PINNED);
        assertThat(done).as("kept beside the checkpoints")
                .containsEntry(JobStore.FAMILY, FakeFamilies.NAME)
                .containsEntry(JobStore.FAMILY_HASH, FakeFamilies.HASH);
    }

    @Test
    void aReplicaOfAnotherFamily_isPassedOver_andTheJobSucceeds() throws Exception {
        stages.families.serveOtherFamily("decoder", 2);

        Map<String, String> done = finished(run("a blue square", Map.of()));

        assertThat(done).containsEntry(JobStore.STATE, "succeeded");
        assertThat(stages.families.refusals("decoder")).isEqualTo(2);
    }

    @Test
    void whenNoReplicaServesTheJobsFamily_theJobFails_503ModelFamilyMismatch() throws Exception {
        stages.families.serveOtherFamily("prior", 1000);

        Map<String, String> done = finished(run("a green triangle", Map.of()));

        assertThat(done)
                .containsEntry(JobStore.STATE, "failed")
                .containsEntry(JobStore.ERROR_STATUS, "503")
                .containsEntry(JobStore.ERROR_CODE, "model_family_mismatch")
                .containsEntry(JobStore.ERROR_MESSAGE,
                        "The stages serve different model families (a rollout may be under way); try again shortly.");
        assertThat(stages.families.refusals("prior")).as("unclip.stages.family-mismatch-attempts").isEqualTo(8);
        assertThat(stages.families.lastExpected).as("the job stopped at the prior").doesNotContainKey("decoder");
    }

    @Test
    void aStageThatNamesNoFamily_isTaken_andTheNextAnswerPinsTheJob() throws Exception {
        stages.families.nameNoFamily("text-encoder", 1);

        Map<String, String> done = finished(run("a purple circle", Map.of()));

        assertThat(done).containsEntry(JobStore.STATE, "succeeded");
        assertThat(stages.families.lastExpected).containsEntry("prior", "").containsEntry("decoder", PINNED);
    }

    @Test
    void aRunResumedFromCheckpoints_isPinnedToTheirFamily() throws Exception {
        byte[] encoding = encode("an orange square");
        // an earlier run encoded the prompt on a replica of the other family, then its gateway went away
        String id = stored("an orange square", Map.of(
                JobStore.ATTEMPTS, "1",
                JobStore.FAMILY, FakeFamilies.OTHER_NAME,
                JobStore.FAMILY_HASH, FakeFamilies.OTHER_HASH));
        store.checkpoint(id, "text-encoder", encoding);
        int encodedBefore = stages.textEncoderCalls.get();
        enqueue(id);

        Map<String, String> done = finished(id);

        assertThat(stages.families.lastExpected.get("prior"))
                .isEqualTo(FakeFamilies.OTHER_NAME + "/" + FakeFamilies.OTHER_HASH);
        assertThat(done).containsEntry(JobStore.STATE, "failed").containsEntry(JobStore.ERROR_CODE, "model_family_mismatch");
        assertThat(stages.textEncoderCalls.get()).as("the kept encoding was used").isEqualTo(encodedBefore);
    }

    @Test
    void aRunResumedFromCheckpointsOfTheServedFamily_goesOn() throws Exception {
        byte[] encoding = encode("a white circle");
        String id = stored("a white circle", Map.of(
                JobStore.ATTEMPTS, "1", JobStore.FAMILY, FakeFamilies.NAME, JobStore.FAMILY_HASH, FakeFamilies.HASH));
        store.checkpoint(id, "text-encoder", encoding);
        enqueue(id);

        assertThat(finished(id)).containsEntry(JobStore.STATE, "succeeded");
        assertThat(stages.families.lastExpected).containsEntry("prior", PINNED).containsEntry("decoder", PINNED);
    }

    /** What the fake text encoder answers for {@code prompt}, as a checkpoint keeps it. */
    private byte[] encode(String prompt) throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", stages.textEncoderPort()).usePlaintext().build();
        try {
            return TextEncoderServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .encodeText(EncodeTextRequest.newBuilder().addPrompts(prompt).build()).toByteArray();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
