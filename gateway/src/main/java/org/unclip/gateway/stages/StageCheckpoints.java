package org.unclip.gateway.stages;

import java.util.Optional;

/**
 * Where a job keeps the outputs of its finished stages, so that a later run of the same job (its
 * gateway went away and another took it over) starts after the last finished stage instead of
 * from the beginning. The stages are deterministic for a given request, so a kept output is the
 * one the stage would answer again.
 */
public interface StageCheckpoints {

    /** The output of {@code stage} kept by an earlier run, if any. */
    Optional<byte[]> load(String stage);

    /** Keeps the output of a finished stage; a failure to keep it must not fail the job. */
    void save(String stage, byte[] output);
}
