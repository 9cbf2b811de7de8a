package org.unclip.gateway.jobs;

/**
 * The token of one run of a job: the consumer that started it and the attempt number the start
 * gave it. Every write a run makes to its job (progress, result, failure, hand-over) names its
 * token, and the job's scripts refuse it once another run has started the job, so a worker that
 * lost its entry (a pause longer than {@code claim-min-idle}, a partition) can no longer change the
 * job's state or its result.
 */
public record Attempt(String jobId, String worker, long number) {}
