package org.unclip.core.pipeline;

/**
 * One request's sampling, advanced one step at a time by a {@link BatchStepper} together with
 * other runs of the same pipeline. A run keeps all of its own state (timesteps, step count,
 * guidance scale, seeds, progress listener), so what it produces does not depend on the runs it
 * shares a batch with.
 */
public interface SteppedRun {

    /** Whether the run has taken its last step; its result is then ready. */
    boolean done();

    /** How many images (rows before guidance) the run adds to a batch. */
    int images();
}
