package org.unclip.core.pipeline;

/** Told about every finished sampling step, on the thread running the pipeline. */
@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = p -> {};

    void onStep(StepProgress progress);
}
