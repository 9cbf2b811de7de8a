package org.unclip.gateway.jobs;

import java.util.Objects;

/**
 * Names of everything the gateway keeps in Redis, all under one prefix.
 *
 * <ul>
 *   <li>{@code <prefix>job:<id>} — hash: the job (see {@link JobStore} for its fields)
 *   <li>{@code <prefix>result:<id>} — hash: the generated images
 *   <li>{@code <prefix>input:<id>} (and {@code :<i>} for i ≥ 1) — string: an input image, base64
 *   <li>{@code <prefix><stream>} — stream of job ids, read by a consumer group
 *   <li>{@code <prefix>job-events} — pub/sub channel; a job id is published when it finishes
 *   <li>{@code <prefix>job-events:<id>} — stream: the job's events, read by SSE subscribers
 *   <li>{@code <prefix>queue} — sorted set: ids of queued jobs scored by submission time
 *   <li>{@code <prefix>queue:<owner>} — sorted set: the queued jobs of one API key (members that
 *       have left {@code queue} are dropped lazily)
 *   <li>{@code <prefix>idem:<hash>} — string: job id and request fingerprint of an Idempotency-Key
 *   <li>{@code <prefix>checkpoint:<id>:<stage>} — string: a finished stage's output (a serialized
 *       gRPC response), so a job taken over by another gateway resumes after its last finished stage
 * </ul>
 */
public record JobKeys(String prefix, String streamName) {

    public JobKeys {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(streamName, "streamName");
        if (streamName.isBlank()) {
            throw new IllegalArgumentException("the stream name must not be blank");
        }
    }

    public String job(String id) {
        return prefix + "job:" + id;
    }

    public String result(String id) {
        return prefix + "result:" + id;
    }

    /** The input image of a variation job (base64 PNG), kept as long as the job. */
    public String input(String id) {
        return prefix + "input:" + id;
    }

    /**
     * Input image {@code index} of a job (base64 PNG): {@link #input(String)} for index 0,
     * {@code <prefix>input:<id>:<index>} for the others.
     */
    public String input(String id, int index) {
        return index == 0 ? input(id) : input(id) + ":" + index;
    }

    /** The output of {@code stage} of a job, kept as long as the job. */
    public String checkpoint(String id, String stage) {
        return prefix + "checkpoint:" + id + ":" + stage;
    }

    public String stream() {
        return prefix + streamName;
    }

    public String events() {
        return prefix + "job-events";
    }

    public String events(String id) {
        return prefix + "job-events:" + id;
    }

    /** Stream of entries whose job could not be run at all (unreadable spec, crash loop). */
    public String deadLetter() {
        return prefix + streamName + ":dead-letter";
    }

    public String queue() {
        return prefix + "queue";
    }

    /** Sorted set: the queued jobs of one owner (API key hash), for the per-key bound. */
    public String ownerQueue(String owner) {
        return prefix + "queue:" + owner;
    }

    /** @param scopedKeyHash hex SHA-256 of the API key scope and the Idempotency-Key */
    public String idempotency(String scopedKeyHash) {
        return prefix + "idem:" + scopedKeyHash;
    }
}
