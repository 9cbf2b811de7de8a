package org.unclip.core.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.unclip.core.tensor.Tensor;

/**
 * Splits a batched call into calls of rows that share a timestep: what a network that takes one
 * timestep per call needs when the rows of a batch are at different steps.
 */
final class RowRuns {

    private RowRuns() {}

    /**
     * Calls {@code call.apply(from, to, t)} for every maximal range of rows with the same
     * timestep and concatenates the results.
     */
    static Tensor byTimestep(long[] timesteps, RangeCall call) {
        List<Tensor> parts = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= timesteps.length; i++) {
            if (i == timesteps.length || timesteps[i] != timesteps[from]) {
                parts.add(call.apply(from, i, Math.toIntExact(timesteps[from])));
                from = i;
            }
        }
        return parts.size() == 1 ? parts.get(0) : Tensor.concat(parts);
    }

    /** One call on rows {@code [from, to)}, all at {@code timestep}. */
    @FunctionalInterface
    interface RangeCall {
        Tensor apply(int from, int to, int timestep);
    }
}
