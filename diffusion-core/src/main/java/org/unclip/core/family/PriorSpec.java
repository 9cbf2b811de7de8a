package org.unclip.core.family;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The diffusion prior: text encoding → CLIP image embedding. It denoises in a normalised space;
 * {@code clipMean}/{@code clipStd} map it back ({@code z·std + mean}).
 */
public record PriorSpec(
        Path graph, float[] clipMean, float[] clipStd, SamplingSpec sampling, StepRange steps,
        GuidanceRange guidance) {

    public PriorSpec {
        if (clipMean.length != clipStd.length) {
            throw new IllegalArgumentException("clip_mean and clip_std differ in length");
        }
        for (float s : clipStd) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("clip_std must be positive, found " + s);
            }
        }
        clipMean = clipMean.clone();
        clipStd = clipStd.clone();
    }

    @Override
    public float[] clipMean() {
        return clipMean.clone();
    }

    @Override
    public float[] clipStd() {
        return clipStd.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PriorSpec s && graph.equals(s.graph) && Arrays.equals(clipMean, s.clipMean)
                && Arrays.equals(clipStd, s.clipStd) && sampling.equals(s.sampling) && steps.equals(s.steps)
                && guidance.equals(s.guidance);
    }

    @Override
    public int hashCode() {
        return graph.hashCode() * 31 + sampling.hashCode();
    }

    @Override
    public String toString() {
        return "PriorSpec[" + graph.getFileName() + ", " + sampling + ", " + steps + ", " + guidance + "]";
    }
}
