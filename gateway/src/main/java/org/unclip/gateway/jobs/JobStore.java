package org.unclip.gateway.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.redis.RedisConnections;

/**
 * Jobs and their results in Redis.
 *
 * <p>The job hash {@code <prefix>job:<id>} holds: {@code id}, {@code request_id}, {@code state}
 * ({@link JobState} in lower case), {@code spec} ({@link JobSpec} as JSON), {@code n}, {@code
 * created_at}, {@code updated_at}, {@code wait_until}, {@code started_at}, {@code finished_at}
 * (epoch milliseconds), {@code worker} (consumer name), {@code attempts}, the progress fields
 * {@code stage}, {@code step}, {@code total_steps}, and on failure {@code error_status}, {@code
 * error_type}, {@code error_message}, {@code error_param}, {@code error_code}. Every write renews
 * the hash's TTL ({@code unclip.jobs.job-ttl}), so a hash never outlives it by accident.
 *
 * <p>The result hash {@code <prefix>result:<id>} holds {@code count} and, per image {@code i},
 * {@code i:png} (base64 PNG), {@code i:seed}, {@code i:width}, {@code i:height}; its TTL is {@code
 * unclip.jobs.result-ttl}.
 *
 * <p>The stream entry of a job is {@code job=<id>}; everything else lives in the hash, so entries
 * stay small and a job's state has a single home.
 */
@ApplicationScoped
public class JobStore {

    static final String ID = "id";
    static final String REQUEST_ID = "request_id";
    static final String STATE = "state";
    static final String SPEC = "spec";
    static final String N = "n";
    static final String CREATED_AT = "created_at";
    static final String UPDATED_AT = "updated_at";
    static final String WAIT_UNTIL = "wait_until";
    static final String STARTED_AT = "started_at";
    static final String FINISHED_AT = "finished_at";
    static final String WORKER = "worker";
    static final String ATTEMPTS = "attempts";
    static final String STAGE = "stage";
    static final String STEP = "step";
    static final String TOTAL_STEPS = "total_steps";
    static final String ERROR_STATUS = "error_status";
    static final String ERROR_TYPE = "error_type";
    static final String ERROR_MESSAGE = "error_message";
    static final String ERROR_PARAM = "error_param";
    static final String ERROR_CODE = "error_code";

    /** Field of a stream entry that names the job. */
    public static final String STREAM_FIELD_JOB = "job";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RedisConnections redis;
    private final JobKeys keys;
    private final String group;
    private final long streamMaxLength;
    private final Duration jobTtl;
    private final Duration resultTtl;
    private final Duration commandTimeout;
    private final Clock clock;

    @Inject
    public JobStore(RedisConnections redis, GatewayConfig config) {
        this(
                redis,
                new JobKeys(config.redis().keyPrefix(), config.jobs().stream()),
                config.jobs().group(),
                config.jobs().streamMaxLength(),
                config.jobs().jobTtl(),
                config.jobs().resultTtl(),
                config.redis().commandTimeout(),
                Clock.systemUTC());
    }

    JobStore(
            RedisConnections redis,
            JobKeys keys,
            String group,
            long streamMaxLength,
            Duration jobTtl,
            Duration resultTtl,
            Duration commandTimeout,
            Clock clock) {
        this.redis = redis;
        this.keys = keys;
        this.group = group;
        this.streamMaxLength = streamMaxLength;
        this.jobTtl = jobTtl;
        this.resultTtl = resultTtl;
        this.commandTimeout = commandTimeout;
        this.clock = clock;
    }

    public JobKeys keys() {
        return keys;
    }

    public String group() {
        return group;
    }

    public Instant now() {
        return clock.instant();
    }

    /**
     * Creates the consumer group (and the stream) unless it exists. Starts at the beginning of the
     * stream, so jobs added before the group existed are not lost.
     */
    public void ensureGroup() {
        try {
            redis
                    .commands()
                    .xgroupCreate(XReadArgs.StreamOffset.from(keys.stream(), "0"), group, XGroupCreateArgs.Builder.mkstream());
        } catch (RedisBusyException alreadyThere) {
            // BUSYGROUP: another replica (or an earlier start) created it.
        }
    }

    /** Stores a new job and queues it. */
    public void submit(String id, JobSpec spec, Instant waitUntil) {
        String now = millis(now());
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(ID, id);
        fields.put(REQUEST_ID, spec.requestId());
        fields.put(STATE, JobState.QUEUED.wireName());
        fields.put(SPEC, toJson(spec));
        fields.put(N, Integer.toString(spec.n()));
        fields.put(CREATED_AT, now);
        fields.put(UPDATED_AT, now);
        fields.put(WAIT_UNTIL, millis(waitUntil));
        fields.put(ATTEMPTS, "0");
        RedisAsyncCommands<String, String> async = redis.shared().async();
        // One connection keeps the order: the hash exists before any worker can see the entry.
        await(
                async.hset(keys.job(id), fields),
                async.pexpire(keys.job(id), jobTtl.toMillis()),
                async.xadd(
                        keys.stream(),
                        XAddArgs.Builder.maxlen(streamMaxLength).approximateTrimming(),
                        Map.of(STREAM_FIELD_JOB, id)));
    }

    /** The job's hash, if it has not expired. */
    public Optional<StoredJob> load(String id) {
        Map<String, String> fields = redis.commands().hgetall(keys.job(id));
        if (fields == null || fields.isEmpty()) {
            return Optional.empty();
        }
        JobSpec spec = fields.containsKey(SPEC) ? fromJson(fields.get(SPEC)) : null;
        return Optional.of(new StoredJob(toStatus(id, fields), spec, instant(fields.get(WAIT_UNTIL))));
    }

    /** The job's state and progress, if it has not expired. */
    public Optional<JobStatus> status(String id) {
        Map<String, String> fields =
                redis.commands().hgetall(keys.job(id));
        if (fields == null || fields.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(toStatus(id, fields));
    }

    /** Just the state field; cheaper than {@link #status} for pollers. */
    public Optional<JobState> state(String id) {
        String state = redis.commands().hget(keys.job(id), STATE);
        return state == null ? Optional.empty() : JobState.fromWireName(state);
    }

    /**
     * Marks the job running on {@code worker} and counts the attempt.
     *
     * @return the number of attempts so far, this one included
     */
    public long startAttempt(String id, String worker) {
        RedisAsyncCommands<String, String> async = redis.shared().async();
        String now = millis(now());
        RedisFuture<Long> attempts = async.hincrby(keys.job(id), ATTEMPTS, 1);
        await(
                attempts,
                async.hset(
                        keys.job(id),
                        Map.of(STATE, JobState.RUNNING.wireName(), WORKER, worker, STARTED_AT, now, UPDATED_AT, now)),
                async.pexpire(keys.job(id), jobTtl.toMillis()));
        return attempts.toCompletableFuture().getNow(0L);
    }

    /** Records progress of a running job. */
    public void progress(String id, String stage, int step, int totalSteps) {
        RedisAsyncCommands<String, String> async = redis.shared().async();
        await(
                async.hset(
                        keys.job(id),
                        Map.of(
                                STAGE, stage,
                                STEP, Integer.toString(step),
                                TOTAL_STEPS, Integer.toString(totalSteps),
                                UPDATED_AT, millis(now()))),
                async.pexpire(keys.job(id), jobTtl.toMillis()));
    }

    /** Stores the images, marks the job succeeded and tells waiting replicas. */
    public void succeed(String id, List<ImageResult> images) {
        Map<String, String> result = new LinkedHashMap<>();
        result.put("count", Integer.toString(images.size()));
        Base64.Encoder base64 = Base64.getEncoder();
        for (int i = 0; i < images.size(); i++) {
            ImageResult image = images.get(i);
            result.put(i + ":png", base64.encodeToString(image.png()));
            result.put(i + ":seed", Long.toString(image.seed()));
            result.put(i + ":width", Integer.toString(image.width()));
            result.put(i + ":height", Integer.toString(image.height()));
        }
        String now = millis(now());
        RedisAsyncCommands<String, String> async = redis.shared().async();
        await(
                async.del(keys.result(id)),
                async.hset(keys.result(id), result),
                async.pexpire(keys.result(id), resultTtl.toMillis()),
                async.hset(
                        keys.job(id),
                        Map.of(STATE, JobState.SUCCEEDED.wireName(), FINISHED_AT, now, UPDATED_AT, now)),
                async.pexpire(keys.job(id), jobTtl.toMillis()),
                async.publish(keys.events(), id));
    }

    /** Marks the job failed and tells waiting replicas. */
    public void fail(String id, ApiError error) {
        String now = millis(now());
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(STATE, JobState.FAILED.wireName());
        fields.put(FINISHED_AT, now);
        fields.put(UPDATED_AT, now);
        fields.put(ERROR_STATUS, Integer.toString(error.status()));
        fields.put(ERROR_TYPE, error.type());
        fields.put(ERROR_MESSAGE, error.message());
        fields.put(ERROR_PARAM, error.param() == null ? "" : error.param());
        fields.put(ERROR_CODE, error.code() == null ? "" : error.code());
        RedisAsyncCommands<String, String> async = redis.shared().async();
        await(
                async.hset(keys.job(id), fields),
                async.pexpire(keys.job(id), jobTtl.toMillis()),
                async.publish(keys.events(), id));
    }

    /** The images of a succeeded job, in order, if they have not expired. */
    public Optional<List<StoredImage>> results(String id) {
        Map<String, String> fields = redis.commands().hgetall(keys.result(id));
        if (fields == null || !fields.containsKey("count")) {
            return Optional.empty();
        }
        int count = Integer.parseInt(fields.get("count"));
        List<StoredImage> images = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            images.add(
                    new StoredImage(
                            fields.get(i + ":png"),
                            Long.parseLong(fields.get(i + ":seed")),
                            Integer.parseInt(fields.get(i + ":width")),
                            Integer.parseInt(fields.get(i + ":height"))));
        }
        return Optional.of(images);
    }

    /** The seeds of a succeeded job's images, in order, without fetching the images. */
    public Optional<List<Long>> resultSeeds(String id) {
        String count = redis.commands().hget(keys.result(id), "count");
        if (count == null) {
            return Optional.empty();
        }
        int n = Integer.parseInt(count);
        String[] fields = new String[n];
        for (int i = 0; i < n; i++) {
            fields[i] = i + ":seed";
        }
        List<Long> seeds = new ArrayList<>(n);
        for (var value : redis.commands().hmget(keys.result(id), fields)) {
            if (!value.hasValue()) {
                return Optional.empty();
            }
            seeds.add(Long.parseLong(value.getValue()));
        }
        return Optional.of(seeds);
    }

    /** One PNG of a succeeded job, if it exists and has not expired. */
    public Optional<byte[]> image(String id, int index) {
        String png = redis.commands().hget(keys.result(id), index + ":png");
        return png == null ? Optional.empty() : Optional.of(Base64.getDecoder().decode(png));
    }

    /** A job hash as a worker sees it. */
    public record StoredJob(JobStatus status, JobSpec spec, Instant waitUntil) {}

    private static JobStatus toStatus(String id, Map<String, String> fields) {
        JobState state = JobState.fromWireName(fields.getOrDefault(STATE, "")).orElse(JobState.QUEUED);
        Optional<ApiError> error = Optional.empty();
        if (state == JobState.FAILED && fields.containsKey(ERROR_STATUS)) {
            error =
                    Optional.of(
                            new ApiError(
                                    Integer.parseInt(fields.get(ERROR_STATUS)),
                                    fields.getOrDefault(ERROR_TYPE, ApiError.SERVER_ERROR),
                                    fields.getOrDefault(ERROR_MESSAGE, "the job failed"),
                                    emptyToNull(fields.get(ERROR_PARAM)),
                                    emptyToNull(fields.get(ERROR_CODE))));
        }
        return new JobStatus(
                id,
                state,
                fields.getOrDefault(STAGE, ""),
                integer(fields.get(STEP)),
                integer(fields.get(TOTAL_STEPS)),
                integer(fields.get(ATTEMPTS)),
                instant(fields.get(CREATED_AT)),
                instant(fields.get(UPDATED_AT)),
                error);
    }

    private void await(RedisFuture<?>... futures) {
        long deadline = System.nanoTime() + commandTimeout.toNanos();
        for (RedisFuture<?> future : futures) {
            try {
                future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JobStoreException("interrupted while talking to Redis", e);
            } catch (ExecutionException e) {
                throw new JobStoreException("Redis refused a command: " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new JobStoreException("Redis did not answer within " + commandTimeout, e);
            }
        }
    }

    private static String toJson(JobSpec spec) {
        try {
            return JSON.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a job spec as JSON", e);
        }
    }

    private static JobSpec fromJson(String json) {
        try {
            return JSON.readValue(json, JobSpec.class);
        } catch (JsonProcessingException e) {
            throw new JobStoreException("the stored job spec is not readable: " + e.getOriginalMessage(), e);
        }
    }

    private static String millis(Instant instant) {
        return Long.toString(instant.toEpochMilli());
    }

    private static Instant instant(String millis) {
        return millis == null || millis.isEmpty() ? Instant.EPOCH : Instant.ofEpochMilli(Long.parseLong(millis));
    }

    private static int integer(String value) {
        return value == null || value.isEmpty() ? 0 : Integer.parseInt(value);
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
