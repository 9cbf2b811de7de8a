package org.unclip.core.family;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One diffusion upsampler: {@code inputResolution}² → {@code outputResolution}², unguided. When
 * {@code graphLast} is present it replaces {@code graph} for the final step (t = 0), as Karlo's
 * {@code super_res_last} does.
 */
public record UpsamplerSpec(
        String name, Path graph, Optional<Path> graphLast, int inputResolution, int outputResolution,
        SamplingSpec sampling, StepRange steps) {

    public UpsamplerSpec {
        if (inputResolution <= 0 || outputResolution <= inputResolution) {
            throw new IllegalArgumentException("upsampler " + name + " must enlarge: input "
                    + inputResolution + ", output " + outputResolution);
        }
    }
}
