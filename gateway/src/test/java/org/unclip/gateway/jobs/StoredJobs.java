package org.unclip.gateway.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Writes and watches job hashes in the real Redis the way {@link JobStore} lays them out. */
final class StoredJobs {

    private final JobStore store;
    private final RedisCommands<String, String> redis;

    StoredJobs(JobStore store, RedisCommands<String, String> redis) {
        this.store = store;
        this.redis = redis;
    }

    /** Writes a queued job hash for {@code spec} the way {@link JobStore#submit} does, some fields overridden. */
    String store(JobSpec spec, Map<String, String> overrides) {
        String id = UUID.randomUUID().toString().replace("-", "");
        long now = Instant.now().toEpochMilli();
        Map<String, String> fields = new HashMap<>();
        fields.put(JobStore.ID, id);
        fields.put(JobStore.REQUEST_ID, spec.requestId());
        fields.put(JobStore.STATE, JobState.QUEUED.wireName());
        try {
            fields.put(JobStore.SPEC, new ObjectMapper().writeValueAsString(spec));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        fields.put(JobStore.N, Integer.toString(spec.n()));
        fields.put(JobStore.CREATED_AT, Long.toString(now));
        fields.put(JobStore.UPDATED_AT, Long.toString(now));
        fields.put(JobStore.WAIT_UNTIL, Long.toString(now + 60_000));
        fields.put(JobStore.ATTEMPTS, "0");
        fields.putAll(overrides);
        redis.hset(store.keys().job(id), fields);
        redis.expire(store.keys().job(id), 600);
        return id;
    }

    /** Waits until the job's state is one of {@code states}; answers its hash. */
    Map<String, String> await(String id, Duration timeout, String... states) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, String> job = redis.hgetall(store.keys().job(id));
            for (String state : states) {
                if (state.equals(job.get(JobStore.STATE))) {
                    return job;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("job " + id + " did not reach " + String.join("/", states) + ": " + redis.hgetall(store.keys().job(id)));
    }

    /** Waits until the job has ended (succeeded or failed). */
    Map<String, String> awaitTerminal(String id) throws InterruptedException {
        return await(id, Duration.ofSeconds(15), "succeeded", "failed");
    }
}
