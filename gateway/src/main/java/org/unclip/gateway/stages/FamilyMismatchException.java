package org.unclip.gateway.stages;

import io.grpc.Status;

/**
 * Every replica of a stage that a job's call reached serves another model family than the one the
 * job is pinned to ({@link FamilyPin}), within {@code unclip.stages.family-mismatch-attempts} tries.
 */
public final class FamilyMismatchException extends StageException {

    private final StageFamily pinned;
    private final StageFamily served;

    FamilyMismatchException(String stage, StageFamily pinned, StageFamily served, int attempts, Throwable cause) {
        super(stage, Status.FAILED_PRECONDITION.withDescription("the job is pinned to model family " + pinned
                + ", the " + stage + " stage serves " + served), attempts, cause);
        this.pinned = pinned;
        this.served = served;
    }

    /** The family the job is pinned to. */
    public StageFamily pinned() {
        return pinned;
    }

    /** The family the last replica tried serves. */
    public StageFamily served() {
        return served;
    }
}
