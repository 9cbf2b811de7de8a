package org.unclip.gateway.jobs;

/** What a guarded write to a job hash did. */
public enum Write {
    /** Written. */
    DONE,
    /** Not written: the job was cancelled. */
    CANCELLED,
    /** Not written: another run owns the job now, or it has already ended. */
    SUPERSEDED,
    /** Not written: the job hash has expired. */
    GONE;

    static Write of(long answer) {
        return switch ((int) answer) {
            case 1 -> DONE;
            case 0 -> CANCELLED;
            case -2 -> SUPERSEDED;
            default -> GONE;
        };
    }
}
