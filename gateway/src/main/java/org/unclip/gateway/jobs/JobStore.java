package org.unclip.gateway.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
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
import org.unclip.gateway.stages.StageFamily;
import org.unclip.gateway.tracing.JobTraces;

/**
 * Jobs and their results in Redis.
 *
 * <p>The job hash {@code <prefix>job:<id>} holds: {@code id}, {@code request_id}, {@code state}
 * ({@link JobState} in lower case), {@code spec} ({@link JobSpec} as JSON), {@code n}, {@code
 * created_at}, {@code updated_at}, {@code wait_until}, {@code started_at}, {@code finished_at}
 * (epoch milliseconds), {@code worker} (consumer name), {@code attempts} (runs started, the number
 * of the latest {@link Attempt}), {@code crashes} (runs that ended without a word), the progress fields
 * {@code stage}, {@code step}, {@code total_steps}, and on failure {@code error_status}, {@code
 * error_type}, {@code error_message}, {@code error_param}, {@code error_code}, and {@code owner} (a
 * hash of the API key that made the job; empty without keys). Every write renews
 * the hash's TTL ({@code unclip.jobs.job-ttl}), so a hash never outlives it by accident.
 *
 * <p>The result hash {@code <prefix>result:<id>} holds {@code count} and, per image {@code i},
 * {@code i:png} (base64 PNG), {@code i:seed}, {@code i:width}, {@code i:height}; its TTL is {@code
 * unclip.jobs.result-ttl}.
 *
 * <p>A job's events go to the stream {@code <prefix>job-events:<id>} (entries {@code type},
 * {@code data}); queued jobs are members of the sorted set {@code <prefix>queue} (score =
 * submission time). Submission, cancellation and the worker's writes are Lua scripts, so the
 * queue bound, the idempotency record and the cancel guard are atomic with the writes.
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
    static final String CRASHES = "crashes";
    static final String STAGE = "stage";
    static final String STEP = "step";
    static final String TOTAL_STEPS = "total_steps";
    static final String ERROR_STATUS = "error_status";
    static final String ERROR_TYPE = "error_type";
    static final String ERROR_MESSAGE = "error_message";
    static final String ERROR_PARAM = "error_param";
    static final String ERROR_CODE = "error_code";
    /** The model family the job's stage checkpoints were made with: its name and content hash. */
    static final String FAMILY = "family";
    static final String FAMILY_HASH = "family_hash";
    /** The W3C traceparent of the request that submitted the job, or empty: the parent of the job's span. */
    static final String TRACEPARENT = "traceparent";
    /** Who made the job: a hash of the API key (see the api package's JobOwners), or empty. */
    static final String OWNER = "owner";

    /** Field of a stream entry that names the job. */
    public static final String STREAM_FIELD_JOB = "job";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RedisConnections redis;
    private final JobKeys keys;
    private final String group;
    private final long streamMaxLength;
    private final long eventStreamMaxLength;
    private final Duration jobTtl;
    private final Duration resultTtl;
    private final Duration commandTimeout;
    private final int maxQueuedPerOwner;
    private final Clock clock;

    @Inject
    public JobStore(RedisConnections redis, GatewayConfig config) {
        this(
                redis,
                new JobKeys(config.redis().keyPrefix(), config.jobs().stream()),
                config.jobs().group(),
                config.jobs().streamMaxLength(),
                config.jobs().eventStreamMaxLength(),
                config.jobs().jobTtl(),
                config.jobs().resultTtl(),
                config.redis().commandTimeout(),
                config.jobs().maxQueuedPerKey(),
                Clock.systemUTC());
    }

    JobStore(
            RedisConnections redis,
            JobKeys keys,
            String group,
            long streamMaxLength,
            long eventStreamMaxLength,
            Duration jobTtl,
            Duration resultTtl,
            Duration commandTimeout,
            int maxQueuedPerOwner,
            Clock clock) {
        this.redis = redis;
        this.keys = keys;
        this.group = group;
        this.streamMaxLength = streamMaxLength;
        this.eventStreamMaxLength = eventStreamMaxLength;
        this.jobTtl = jobTtl;
        this.resultTtl = resultTtl;
        this.commandTimeout = commandTimeout;
        this.maxQueuedPerOwner = maxQueuedPerOwner;
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

    /**
     * Stores a new job and queues it, atomically (one Lua script): when an idempotency record
     * exists nothing is written and the existing one is answered; when {@code maxQueued} jobs
     * already wait nothing is written either. Otherwise the job hash, its queue slot, its first
     * event ({@code queued}), the stream entry and the idempotency record are written together.
     * With an owner, at most {@code max-queued-per-key} of its jobs may wait.
     *
     * @param idempotency the key and fingerprint to remember, or null
     * @param owner a hash of the caller's API key (recorded on the job), or null (no API keys)
     */
    public Submission submit(String id, JobSpec spec, Instant waitUntil, int maxQueued, Idempotency idempotency, String owner) {
        Instant nowInstant = now();
        String now = millis(nowInstant);
        List<String> args = new ArrayList<>();
        args.add(id);
        args.add(now);
        args.add(Long.toString(jobTtl.toMillis()));
        args.add(Integer.toString(maxQueued));
        args.add(Long.toString(streamMaxLength));
        args.add(idempotency == null ? "" : id + "|" + idempotency.fingerprint());
        args.add(idempotency == null ? "0" : Long.toString(idempotency.ttl().toMillis()));
        args.add(idempotency == null ? "0" : "1");
        args.add(Long.toString(eventStreamMaxLength));
        args.add(eventJson(Map.of("id", id, "state", JobState.QUEUED.wireName(), "seeds", spec.seeds())));
        args.add(Long.toString(nowInstant.minus(jobTtl).toEpochMilli()));
        boolean ownerBound = owner != null && !owner.isEmpty() && maxQueuedPerOwner > 0;
        args.add(ownerBound ? owner : "");
        args.add(Integer.toString(maxQueuedPerOwner));
        String[][] fields = {
            {ID, id},
            {REQUEST_ID, spec.requestId()},
            {STATE, JobState.QUEUED.wireName()},
            {SPEC, toJson(spec)},
            {N, Integer.toString(spec.n())},
            {CREATED_AT, now},
            {UPDATED_AT, now},
            {WAIT_UNTIL, millis(waitUntil)},
            {ATTEMPTS, "0"},
            {OWNER, owner == null ? "" : owner},
            {TRACEPARENT, JobTraces.currentTraceparent()}
        };
        for (String[] field : fields) {
            args.add(field[0]);
            args.add(field[1]);
        }
        String idemKey = idempotency == null ? keys.idempotency("none") : keys.idempotency(idempotency.scopedKeyHash());
        List<Object> reply =
                redis.commands()
                        .eval(
                                SUBMIT_SCRIPT,
                                ScriptOutputType.MULTI,
                                new String[] {
                                    keys.job(id), keys.queue(), keys.stream(), keys.events(id), idemKey,
                                    keys.ownerQueue(ownerBound ? owner : "none")
                                },
                                args.toArray(String[]::new));
        String outcome = String.valueOf(reply.get(0));
        switch (outcome) {
            case "created":
                return new Submission(Submission.Outcome.CREATED, id, null);
            case "full":
                return new Submission(Submission.Outcome.QUEUE_FULL, null, null);
            case "owner_full":
                return new Submission(Submission.Outcome.OWNER_QUEUE_FULL, null, null);
            case "existing":
                String stored = String.valueOf(reply.get(1));
                int bar = stored.indexOf('|');
                return new Submission(
                        Submission.Outcome.EXISTING,
                        bar < 0 ? stored : stored.substring(0, bar),
                        bar < 0 ? "" : stored.substring(bar + 1));
            default:
                throw new JobStoreException("unexpected answer of the submit script: " + reply, null);
        }
    }

    /**
     * Frees an Idempotency-Key whose job has expired: deletes its record, but only while the
     * record still names that job (a concurrent request may have taken the key meanwhile).
     *
     * @param existing the {@link Submission.Outcome#EXISTING} answer that named the expired job
     * @return true when the record was deleted
     */
    public boolean releaseIdempotency(Idempotency idempotency, Submission existing) {
        long deleted =
                evalInteger(
                        RELEASE_IDEMPOTENCY_SCRIPT,
                        new String[] {keys.idempotency(idempotency.scopedKeyHash())},
                        existing.jobId() + "|" + existing.existingFingerprint());
        return deleted > 0;
    }

    private static final String RELEASE_IDEMPOTENCY_SCRIPT =
            """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """;

    /** What {@link #submit(String, JobSpec, Instant, int, Idempotency, String)} did. */
    public record Submission(Outcome outcome, String jobId, String existingFingerprint) {
        public enum Outcome {
            /** The job was stored and queued. */
            CREATED,
            /** The idempotency key names an earlier job ({@code jobId}); nothing was written. */
            EXISTING,
            /** {@code maxQueued} jobs already wait; nothing was written. */
            QUEUE_FULL,
            /** {@code max-queued-per-key} jobs of the same API key already wait; nothing was written. */
            OWNER_QUEUE_FULL
        }
    }

    /**
     * An Idempotency-Key as stored.
     *
     * @param scopedKeyHash hex SHA-256 of the caller's scope (API key) and the key
     * @param fingerprint hex SHA-256 of the endpoint and the request body
     */
    public record Idempotency(String scopedKeyHash, String fingerprint, Duration ttl) {}

    private static final String SUBMIT_SCRIPT =
            """
            if ARGV[8] == '1' then
              local existing = redis.call('GET', KEYS[5])
              if existing then return {'existing', existing} end
            end
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[11])
            if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {'full'} end
            if ARGV[12] ~= '' then
              -- the owner's queued jobs: members that have left the queue (started, cancelled) go
              for _, member in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
                if not redis.call('ZSCORE', KEYS[2], member) then redis.call('ZREM', KEYS[6], member) end
              end
              if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[13]) then return {'owner_full'} end
              redis.call('ZADD', KEYS[6], ARGV[2], ARGV[1])
              redis.call('PEXPIRE', KEYS[6], ARGV[3])
            end
            redis.call('HSET', KEYS[1], unpack(ARGV, 14))
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
            redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], '*', 'type', 'queued', 'data', ARGV[10])
            redis.call('PEXPIRE', KEYS[4], ARGV[3])
            redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'job', ARGV[1])
            if ARGV[8] == '1' then redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[7]) end
            return {'created'}
            """;

    /**
     * Writes fields to a job hash for one run of the job, optionally with its result, leaving the
     * queue, appending an event and publishing the id on the finish channel. With a token (worker
     * and attempt) the job must be running under exactly that token; without one it must not have
     * ended. KEYS: job, queue, events stream, result. ARGV: ttl, event type ('' = none), event
     * data, events cap, job id, leave queue ('1'), channel ('' = none), token worker ('' = none),
     * token attempt, result ttl, count of job field arguments, then the job's field/value pairs,
     * then the result's (none = no result written). Answers 1 when written, 0 when cancelled, -2
     * when another run owns the job or it has ended, -1 when gone.
     */
    private static final String GUARDED_UPDATE_SCRIPT =
            """
            local state = redis.call('HGET', KEYS[1], 'state')
            if not state then return -1 end
            if state == 'cancelled' then return 0 end
            if ARGV[8] ~= '' then
              if state ~= 'running' or redis.call('HGET', KEYS[1], 'worker') ~= ARGV[8]
                  or redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[9] then return -2 end
            elseif state ~= 'queued' and state ~= 'running' then return -2 end
            local n = tonumber(ARGV[11])
            redis.call('HSET', KEYS[1], unpack(ARGV, 12, 11 + n))
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            if #ARGV > 11 + n then
              redis.call('DEL', KEYS[4])
              redis.call('HSET', KEYS[4], unpack(ARGV, 12 + n))
              redis.call('PEXPIRE', KEYS[4], ARGV[10])
            end
            if ARGV[6] == '1' then redis.call('ZREM', KEYS[2], ARGV[5]) end
            if ARGV[2] ~= '' then
              redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[2], 'data', ARGV[3])
              redis.call('PEXPIRE', KEYS[3], ARGV[1])
            end
            if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[7], ARGV[5]) end
            return 1
            """;

    /**
     * Starts a run of a queued job, or of a running one whose run never ended (its worker crashed:
     * that counts as a crash). KEYS: job, queue, events stream. ARGV: ttl, events cap, job id,
     * worker, now, event data, most crashes. Answers {'started', attempt, crashes}, {'crash_loop',
     * crashes}, {state} of a job that must not run, or {'gone'}.
     */
    private static final String START_SCRIPT =
            """
            local state = redis.call('HGET', KEYS[1], 'state')
            if not state then return {'gone'} end
            if state ~= 'queued' and state ~= 'running' then return {state} end
            local crashes = tonumber(redis.call('HGET', KEYS[1], 'crashes') or '0')
            if state == 'running' then
              crashes = crashes + 1
              redis.call('HSET', KEYS[1], 'crashes', crashes)
            end
            if crashes >= tonumber(ARGV[7]) then return {'crash_loop', crashes} end
            local attempt = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
            redis.call('HSET', KEYS[1], 'state', 'running', 'worker', ARGV[4], 'started_at', ARGV[5], 'updated_at', ARGV[5])
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            redis.call('ZREM', KEYS[2], ARGV[3])
            redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'type', 'started', 'data', ARGV[6])
            redis.call('PEXPIRE', KEYS[3], ARGV[1])
            return {'started', attempt, crashes}
            """;

    /**
     * Gives a running job back to the queue (its gateway is shutting down): state queued again, a
     * new stream entry for any consumer, the old entry acknowledged, all at once. KEYS: job, queue,
     * events stream, job stream. ARGV: ttl, events cap, job id, token worker, token attempt, now,
     * event data, group, old entry id, stream cap. Answers like {@link #GUARDED_UPDATE_SCRIPT}.
     */
    private static final String HAND_OVER_SCRIPT =
            """
            local state = redis.call('HGET', KEYS[1], 'state')
            if not state then return -1 end
            if state == 'cancelled' then return 0 end
            if state ~= 'running' or redis.call('HGET', KEYS[1], 'worker') ~= ARGV[4]
                or redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[5] then return -2 end
            redis.call('HSET', KEYS[1], 'state', 'queued', 'worker', '', 'updated_at', ARGV[6])
            redis.call('HDEL', KEYS[1], 'stage', 'step', 'total_steps')
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'created_at') or ARGV[6], ARGV[3])
            redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'type', 'queued', 'data', ARGV[7])
            redis.call('PEXPIRE', KEYS[3], ARGV[1])
            redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[10], '*', 'job', ARGV[3])
            redis.call('XACK', KEYS[4], ARGV[8], ARGV[9])
            return 1
            """;

    /**
     * Cancels a queued or running job. KEYS: job, queue, events stream. ARGV: job id, now, ttl,
     * events cap, event data, channel. Answers the state the job was in ('missing' if gone).
     */
    private static final String CANCEL_SCRIPT =
            """
            local state = redis.call('HGET', KEYS[1], 'state')
            if not state then return 'missing' end
            if state ~= 'queued' and state ~= 'running' then return state end
            redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished_at', ARGV[2], 'updated_at', ARGV[2], 'cancelled_while', state)
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            redis.call('ZREM', KEYS[2], ARGV[1])
            redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'cancelled', 'data', ARGV[5])
            redis.call('PEXPIRE', KEYS[3], ARGV[3])
            redis.call('PUBLISH', ARGV[6], ARGV[1])
            return state
            """;

    /**
     * Writes {@code fields} (and {@code result}, when not empty) for the run {@code attempt}, or,
     * with a null attempt, for a job that has not ended.
     */
    private Write guardedUpdate(
            String id,
            Attempt attempt,
            Map<String, String> fields,
            Map<String, String> result,
            String eventType,
            String eventData,
            boolean leaveQueue,
            boolean publish) {
        List<String> args = new ArrayList<>();
        args.add(Long.toString(jobTtl.toMillis()));
        args.add(eventType == null ? "" : eventType);
        args.add(eventData == null ? "" : eventData);
        args.add(Long.toString(eventStreamMaxLength));
        args.add(id);
        args.add(leaveQueue ? "1" : "0");
        args.add(publish ? keys.events() : "");
        args.add(attempt == null ? "" : attempt.worker());
        args.add(attempt == null ? "" : Long.toString(attempt.number()));
        args.add(Long.toString(resultTtl.toMillis()));
        args.add(Integer.toString(2 * fields.size()));
        fields.forEach(
                (k, v) -> {
                    args.add(k);
                    args.add(v);
                });
        result.forEach(
                (k, v) -> {
                    args.add(k);
                    args.add(v);
                });
        long written =
                evalInteger(
                        GUARDED_UPDATE_SCRIPT,
                        new String[] {keys.job(id), keys.queue(), keys.events(id), keys.result(id)},
                        args.toArray(String[]::new));
        return Write.of(written);
    }

    /**
     * Cancels a queued or running job: its state becomes {@code cancelled} at once (a worker
     * running it notices within {@code cancel-poll-interval} and cancels its stage call; a queued
     * one is skipped when its entry comes up).
     *
     * @return the state the job was in, or empty if it does not exist
     */
    public Optional<JobState> cancel(String id) {
        String previous =
                redis.commands()
                        .eval(
                                CANCEL_SCRIPT,
                                ScriptOutputType.VALUE,
                                new String[] {keys.job(id), keys.queue(), keys.events(id)},
                                id,
                                millis(now()),
                                Long.toString(jobTtl.toMillis()),
                                Long.toString(eventStreamMaxLength),
                                eventJson(Map.of("id", id, "state", JobState.CANCELLED.wireName())),
                                keys.events());
        return "missing".equals(previous) ? Optional.empty() : JobState.fromWireName(previous);
    }

    /** Appends an event to the job's stream (unguarded; for previews). */
    public void event(String id, String type, Map<String, ?> data) {
        RedisAsyncCommands<String, String> async = redis.shared().async();
        await(
                async.xadd(
                        keys.events(id),
                        XAddArgs.Builder.maxlen(eventStreamMaxLength).approximateTrimming(),
                        Map.of("type", type, "data", eventJson(data))),
                async.pexpire(keys.events(id), jobTtl.toMillis()));
    }

    /** Jobs queued ahead of this one (0 = next), or empty when it is not queued. */
    public Optional<Long> queuePosition(String id) {
        return Optional.ofNullable(redis.commands().zrank(keys.queue(), id));
    }

    /** Jobs waiting in the queue. */
    public long queuedCount() {
        return redis.commands().zcard(keys.queue());
    }

    static String eventJson(Map<String, ?> data) {
        try {
            return JSON.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an event as JSON", e);
        }
    }

    /**
     * Stores the input image of a variation job under its own key with the job's lifetime; written
     * before {@link #submit} so that a worker always finds it.
     */
    public void storeInput(String id, byte[] png) {
        storeInputs(id, List.of(png));
    }

    /** Stores input images 0 .. n − 1 of a job ({@link JobKeys#input(String, int)}), like {@link #storeInput}. */
    public void storeInputs(String id, List<byte[]> pngs) {
        RedisAsyncCommands<String, String> async = redis.shared().async();
        List<RedisFuture<?>> writes = new ArrayList<>();
        for (int i = 0; i < pngs.size(); i++) {
            writes.add(
                    async.set(
                            keys.input(id, i),
                            Base64.getEncoder().encodeToString(pngs.get(i)),
                            io.lettuce.core.SetArgs.Builder.px(jobTtl.toMillis())));
        }
        await(writes.toArray(RedisFuture[]::new));
    }

    /**
     * Keeps the output of a finished stage of a job (its serialized response) for the job's
     * lifetime, so that a later run of the job (another gateway took it over) resumes after it.
     */
    public void checkpoint(String id, String stage, byte[] output) {
        redis.commands().set(keys.checkpoint(id, stage), Base64.getEncoder().encodeToString(output),
                io.lettuce.core.SetArgs.Builder.px(jobTtl.toMillis()));
    }

    /** The output of {@code stage} kept by an earlier run of the job, if any. */
    public Optional<byte[]> checkpoint(String id, String stage) {
        return base64Value(keys.checkpoint(id, stage));
    }

    /** The bytes kept base64-encoded under {@code key}, unless they expired. */
    private Optional<byte[]> base64Value(String key) {
        String stored = redis.commands().get(key);
        return stored == null ? Optional.empty() : Optional.of(Base64.getDecoder().decode(stored));
    }

    /** The input image of a variation job, unless it expired. */
    public Optional<byte[]> input(String id) {
        return input(id, 0);
    }

    /** Input image {@code index} of a job, unless it expired. */
    public Optional<byte[]> input(String id, int index) {
        return base64Value(keys.input(id, index));
    }

    /** Drops the input image of a job that was not queued after all. */
    public void deleteInput(String id) {
        deleteInputs(id, 1);
    }

    /** Drops input images 0 .. count − 1 of a job that was not queued after all. */
    public void deleteInputs(String id, int count) {
        String[] names = new String[count];
        for (int i = 0; i < count; i++) {
            names[i] = keys.input(id, i);
        }
        if (count > 0) {
            redis.commands().del(names);
        }
    }

    /**
     * Drops what only a run of the job needed (its input images and stage checkpoints) once the job
     * has ended; the job and result hashes keep their own TTLs.
     */
    public void discardWorkingData(String id, int inputImages, List<String> checkpointedStages) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inputImages; i++) {
            names.add(keys.input(id, i));
        }
        for (String stage : checkpointedStages) {
            names.add(keys.checkpoint(id, stage));
        }
        if (!names.isEmpty()) {
            redis.commands().del(names.toArray(String[]::new));
        }
    }

    /**
     * Records the model family a running job is pinned to, beside its stage checkpoints, so that a
     * run that resumes from them stays on that family. Writes nothing once the job has expired.
     */
    public void keepFamily(String id, StageFamily family) {
        redis.commands().eval(HSET_IF_EXISTS_SCRIPT, ScriptOutputType.INTEGER, new String[] {keys.job(id)},
                FAMILY, family.name(), FAMILY_HASH, family.hash());
    }

    /** The model family recorded by {@link #keepFamily}, if any. */
    public Optional<StageFamily> family(String id) {
        List<KeyValue<String, String>> values = redis.commands().hmget(keys.job(id), FAMILY, FAMILY_HASH);
        String name = values.get(0).getValueOrElse("");
        String hash = values.get(1).getValueOrElse("");
        return name.isEmpty() || hash.isEmpty() ? Optional.empty() : Optional.of(new StageFamily(name, hash));
    }

    private static final String HSET_IF_EXISTS_SCRIPT =
            """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            return redis.call('HSET', KEYS[1], unpack(ARGV))
            """;

    /** The job's hash, if it has not expired. */
    public Optional<StoredJob> load(String id) {
        Map<String, String> fields = redis.commands().hgetall(keys.job(id));
        if (fields == null || fields.isEmpty()) {
            return Optional.empty();
        }
        JobSpec spec = null;
        String specProblem = fields.containsKey(SPEC) ? null : "the job was stored without its request";
        if (specProblem == null) {
            try {
                spec = fromJson(fields.get(SPEC));
            } catch (JobStoreException e) {
                specProblem = e.getMessage();
            }
        }
        return Optional.of(new StoredJob(toStatus(id, fields), spec, instant(fields.get(WAIT_UNTIL)), specProblem));
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

    /** Who made the job (a hash of its API key), if it has not expired and has an owner. */
    public Optional<String> owner(String id) {
        String owner = redis.commands().hget(keys.job(id), OWNER);
        return owner == null || owner.isEmpty() ? Optional.empty() : Optional.of(owner);
    }

    /** Just the state field; cheaper than {@link #status} for pollers. */
    public Optional<JobState> state(String id) {
        String state = redis.commands().hget(keys.job(id), STATE);
        return state == null ? Optional.empty() : JobState.fromWireName(state);
    }

    /**
     * Starts a run of the job on {@code worker}: a queued job, or a running one whose earlier run
     * never ended (counted as a crash). A job whose runs crashed {@code maxCrashes} times is not
     * started again ({@link Start.CrashLoop}); a job handed back by a gateway that shut down does
     * not count as crashed.
     */
    public Start start(String id, String worker, int maxCrashes) {
        String now = millis(now());
        List<Object> reply =
                redis.commands()
                        .eval(
                                START_SCRIPT,
                                ScriptOutputType.MULTI,
                                new String[] {keys.job(id), keys.queue(), keys.events(id)},
                                Long.toString(jobTtl.toMillis()),
                                Long.toString(eventStreamMaxLength),
                                id,
                                worker,
                                now,
                                eventJson(Map.of("id", id, "state", JobState.RUNNING.wireName(), "worker", worker)),
                                Integer.toString(maxCrashes));
        String outcome = String.valueOf(reply.get(0));
        return switch (outcome) {
            case "started" -> new Start.Started(new Attempt(id, worker, number(reply.get(1))), number(reply.get(2)));
            case "crash_loop" -> new Start.CrashLoop(number(reply.get(1)));
            default -> new Start.NotRunnable(outcome);
        };
    }

    private static long number(Object reply) {
        return reply instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(reply));
    }

    /**
     * Records progress of a run, in the job hash and as a {@code stage} or {@code progress} event.
     *
     * @return {@link Write#DONE}, or why the run should stop
     */
    public Write progress(Attempt attempt, String stage, int step, int totalSteps) {
        String now = millis(now());
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("stage", stage);
        event.put("step", step);
        event.put("total_steps", totalSteps);
        return guardedUpdate(
                attempt.jobId(),
                attempt,
                Map.of(STAGE, stage, STEP, Integer.toString(step), TOTAL_STEPS, Integer.toString(totalSteps), UPDATED_AT, now),
                Map.of(),
                step == 0 ? "stage" : "progress",
                eventJson(event),
                false,
                false);
    }

    /**
     * Stores the images and marks the job succeeded, in one script (the result hash with its TTL
     * included), and tells waiting replicas; nothing is written unless the job still runs under
     * {@code attempt}.
     */
    public Write succeed(Attempt attempt, List<ImageResult> images) {
        String id = attempt.jobId();
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
        List<Map<String, Object>> data = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Map<String, Object> image = new LinkedHashMap<>();
            image.put("url", "/v1/images/results/" + id + "/" + i + ".png");
            image.put("seed", images.get(i).seed());
            data.add(image);
        }
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", id);
        event.put("state", JobState.SUCCEEDED.wireName());
        event.put("data", data);
        return guardedUpdate(
                id,
                attempt,
                Map.of(STATE, JobState.SUCCEEDED.wireName(), FINISHED_AT, now, UPDATED_AT, now),
                result,
                "completed",
                eventJson(event),
                true,
                true);
    }

    /** Marks the job failed by its run {@code attempt} and tells waiting replicas. */
    public Write fail(Attempt attempt, ApiError error) {
        return fail(attempt.jobId(), attempt, error);
    }

    /**
     * Fails a job no run has started (its request is unreadable, it waited too long, it crashed too
     * often), unless it has ended meanwhile.
     */
    public Write failUnstarted(String id, ApiError error) {
        return fail(id, null, error);
    }

    private Write fail(String id, Attempt attempt, ApiError error) {
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
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", id);
        event.put("state", JobState.FAILED.wireName());
        event.put("error", error.body().error());
        return guardedUpdate(id, attempt, fields, Map.of(), "failed", eventJson(event), true, true);
    }

    /**
     * Gives a job back to the queue because its gateway is shutting down: the job is queued again
     * under a new stream entry (any gateway takes it at once), {@code entryId} is acknowledged, and
     * the hand-over does not count as a crash.
     */
    public Write handOver(Attempt attempt, String entryId) {
        long written =
                evalInteger(
                        HAND_OVER_SCRIPT,
                        new String[] {keys.job(attempt.jobId()), keys.queue(), keys.events(attempt.jobId()), keys.stream()},
                        Long.toString(jobTtl.toMillis()),
                        Long.toString(eventStreamMaxLength),
                        attempt.jobId(),
                        attempt.worker(),
                        Long.toString(attempt.number()),
                        millis(now()),
                        eventJson(Map.of("id", attempt.jobId(), "state", JobState.QUEUED.wireName(), "reason", "handed_over")),
                        group,
                        entryId,
                        Long.toString(streamMaxLength));
        return Write.of(written);
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

    /**
     * A job hash as a worker sees it.
     *
     * @param spec the request, or null when it is missing or unreadable ({@code specProblem} says why)
     */
    public record StoredJob(JobStatus status, JobSpec spec, Instant waitUntil, String specProblem) {}

    /**
     * Copies a stream entry whose job cannot be run to the dead-letter stream ({@link
     * JobKeys#deadLetter()}), with the reason, for an operator to inspect.
     */
    public void deadLetter(String entryId, String jobId, String reason) {
        redis.commands()
                .xadd(
                        keys.deadLetter(),
                        XAddArgs.Builder.maxlen(streamMaxLength).approximateTrimming(),
                        Map.of("entry", entryId, STREAM_FIELD_JOB, jobId, "reason", reason, "at", millis(now())));
    }

    /**
     * Resets the idle time of a pending entry, but only while {@code consumer} still owns it: an
     * entry another consumer has reclaimed meanwhile is left to that consumer.
     *
     * @return true if the entry was still this consumer's
     */
    public boolean heartbeat(String entryId, String consumer) {
        long owned = evalInteger(HEARTBEAT_SCRIPT, new String[] {keys.stream()}, group, entryId, consumer);
        return owned == 1;
    }

    /**
     * Acknowledges a stream entry, but only while {@code consumer} owns it (an entry reclaimed by
     * another consumer is left to that one).
     *
     * @return true if it was acknowledged now
     */
    public boolean acknowledge(String entryId, String consumer) {
        long acked = evalInteger(ACKNOWLEDGE_SCRIPT, new String[] {keys.stream()}, group, entryId, consumer);
        return acked == 1;
    }

    /** KEYS: stream. ARGV: group, entry id, consumer. XACK only if the consumer owns the entry. */
    private static final String ACKNOWLEDGE_SCRIPT =
            """
            local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
            if #pending == 0 or pending[1][2] ~= ARGV[3] then return 0 end
            return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
            """;

    /** KEYS: stream. ARGV: group, entry id, consumer. XCLAIM JUSTID only if the consumer owns the entry. */
    private static final String HEARTBEAT_SCRIPT =
            """
            local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
            if #pending == 0 or pending[1][2] ~= ARGV[3] then return 0 end
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
            return 1
            """;

    /** Runs a script that answers an integer; no answer at all reads as -1. */
    private long evalInteger(String script, String[] keyNames, String... args) {
        Long answer = redis.commands().eval(script, ScriptOutputType.INTEGER, keyNames, args);
        return answer == null ? -1 : answer;
    }

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
                error,
                fields.getOrDefault(TRACEPARENT, ""));
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
