package org.unclip.core.family;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The GLIDE-style decoder (CLIP image embedding → {@code resolution}² image) and the text_proj graph
 * that prepares its conditioning once per request. {@code cfgImageEmbedding} is the learned image
 * embedding of the unconditional rows of classifier-free guidance.
 */
public record DecoderSpec(
        Path textProjGraph, Path graph, int resolution, float[] cfgImageEmbedding, SamplingSpec sampling,
        StepRange steps, GuidanceRange guidance) {

    public DecoderSpec {
        if (resolution <= 0) {
            throw new IllegalArgumentException("decoder resolution must be positive, got " + resolution);
        }
        cfgImageEmbedding = cfgImageEmbedding.clone();
    }

    @Override
    public float[] cfgImageEmbedding() {
        return cfgImageEmbedding.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecoderSpec s && textProjGraph.equals(s.textProjGraph) && graph.equals(s.graph)
                && resolution == s.resolution && Arrays.equals(cfgImageEmbedding, s.cfgImageEmbedding)
                && sampling.equals(s.sampling) && steps.equals(s.steps) && guidance.equals(s.guidance);
    }

    @Override
    public int hashCode() {
        return graph.hashCode() * 31 + resolution;
    }

    @Override
    public String toString() {
        return "DecoderSpec[" + graph.getFileName() + ", " + resolution + "px, " + sampling + ", " + steps
                + ", " + guidance + "]";
    }
}
