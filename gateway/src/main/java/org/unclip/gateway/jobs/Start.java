package org.unclip.gateway.jobs;

/** What {@link JobStore#start} found. */
public sealed interface Start {

    /** The job now runs under {@code attempt}. */
    record Started(Attempt attempt, long crashes) implements Start {}

    /** The job must not run: it was cancelled, has ended or has expired ({@code state} says which; "gone" when expired). */
    record NotRunnable(String state) implements Start {}

    /** Earlier runs crashed {@code crashes} times (the limit): the job is not started again. */
    record CrashLoop(long crashes) implements Start {}
}
