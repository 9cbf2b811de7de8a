package org.unclip.core.pipeline;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * Advances many runs of one pipeline by one step each, putting the runs that need the same
 * network into one batched model call.
 */
@FunctionalInterface
public interface BatchStepper<R extends SteppedRun> {

    /**
     * Advances every run that is not {@link SteppedRun#done() done} by one step.
     *
     * @param failed told of each run whose step failed (its model call, or a check on its own
     *     output); such a run is left as it was and must not be stepped again
     */
    void step(List<R> runs, BiConsumer<R, RuntimeException> failed);
}
