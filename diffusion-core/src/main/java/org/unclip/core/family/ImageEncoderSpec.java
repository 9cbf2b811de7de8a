package org.unclip.core.family;

import java.nio.file.Path;
import java.util.Arrays;

/** The CLIP image encoder: its graph, input side and per-channel normalisation. */
public record ImageEncoderSpec(Path graph, int imageSize, float[] mean, float[] std) {

    public ImageEncoderSpec {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("image_encoder mean and std need 3 values each");
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageEncoderSpec s && graph.equals(s.graph) && imageSize == s.imageSize
                && Arrays.equals(mean, s.mean) && Arrays.equals(std, s.std);
    }

    @Override
    public int hashCode() {
        return graph.hashCode() * 31 + imageSize;
    }

    @Override
    public String toString() {
        return "ImageEncoderSpec[" + graph.getFileName() + ", " + imageSize + "px]";
    }
}
