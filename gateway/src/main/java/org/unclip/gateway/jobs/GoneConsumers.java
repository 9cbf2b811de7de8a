package org.unclip.gateway.jobs;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Removes the consumers of gateways that are gone from the job stream's consumer group, so that
 * the group does not collect one consumer per gateway process ever started (every gateway names
 * its consumer after its host, process and a random suffix).
 *
 * <p>A consumer is gone when it has been idle for {@code unclip.jobs.worker.gone-consumer-idle}
 * and owns no pending entries. From Redis 7.2 on, every read resets a consumer's idle time, so a
 * live gateway's (it reads, blocking, every {@code block}) never qualifies; before 7.2 only a read
 * that returned entries does, so a gateway that found no work for that long may lose its consumer
 * too, which costs nothing: it owns no entry, and its next read creates it again. One that owns entries is never removed, as XGROUP DELCONSUMER would drop its
 * entries from the pending list and lose their jobs: once another gateway has reclaimed them
 * (XAUTOCLAIM, after {@code claim-min-idle}) it owns none and goes at the next sweep. Each check
 * and its DELCONSUMER run in one Lua script, so a consumer cannot take an entry between them.
 */
final class GoneConsumers {

    /**
     * KEYS: stream. ARGV: group, least idle time (ms), the caller's own consumer (never removed).
     * Answers the names removed; none when the stream or the group does not exist yet.
     */
    static final String SWEEP_SCRIPT =
            """
            local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
            if type(consumers) ~= 'table' or consumers.err then return {} end
            local removed = {}
            for _, fields in ipairs(consumers) do
              local consumer = {}
              for i = 1, #fields, 2 do consumer[fields[i]] = fields[i + 1] end
              if consumer['name'] ~= ARGV[3] and consumer['pending'] == 0
                  and consumer['idle'] >= tonumber(ARGV[2]) then
                redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], consumer['name'])
                removed[#removed + 1] = consumer['name']
              end
            end
            return removed
            """;

    /**
     * KEYS: stream. ARGV: group, consumer. Removes the consumer if it owns no pending entries;
     * answers 1 when it did, 0 when it owns some, -1 when there is no such consumer (or group).
     */
    static final String REMOVE_IF_DONE_SCRIPT =
            """
            local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
            if type(consumers) ~= 'table' or consumers.err then return -1 end
            for _, fields in ipairs(consumers) do
              local consumer = {}
              for i = 1, #fields, 2 do consumer[fields[i]] = fields[i + 1] end
              if consumer['name'] == ARGV[2] then
                if consumer['pending'] ~= 0 then return 0 end
                redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
                return 1
              end
            end
            return -1
            """;

    private final Supplier<RedisCommands<String, String>> redis;
    private final String stream;
    private final String group;
    private final Duration idle;

    /**
     * @param redis the commands to run the scripts on
     * @param idle how long a consumer must have been idle to count as gone
     */
    GoneConsumers(Supplier<RedisCommands<String, String>> redis, String stream, String group, Duration idle) {
        if (idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("unclip.jobs.worker.gone-consumer-idle must be positive, got " + idle);
        }
        this.redis = redis;
        this.stream = stream;
        this.group = group;
        this.idle = idle;
    }

    /** Removes every consumer but {@code self} that is idle for {@code idle} and owns no pending entries; answers their names. */
    List<String> sweep(String self) {
        List<String> removed = redis.get()
                .eval(SWEEP_SCRIPT, ScriptOutputType.MULTI, new String[] {stream}, group, Long.toString(idle.toMillis()), self);
        return removed == null ? List.of() : List.copyOf(removed);
    }

    /** What {@link #removeIfDone} found. */
    enum Removal {
        REMOVED,
        OWNS_PENDING,
        ABSENT
    }

    /** Removes {@code consumer} (a stopping gateway's own) if it owns no pending entries. */
    Removal removeIfDone(String consumer) {
        Long answer = redis.get().eval(REMOVE_IF_DONE_SCRIPT, ScriptOutputType.INTEGER, new String[] {stream}, group, consumer);
        if (answer == null || answer < 0) {
            return Removal.ABSENT;
        }
        return answer == 1 ? Removal.REMOVED : Removal.OWNS_PENDING;
    }
}
