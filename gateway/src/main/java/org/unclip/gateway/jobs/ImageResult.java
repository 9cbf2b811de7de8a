package org.unclip.gateway.jobs;

import java.util.Objects;

/** One generated image: PNG bytes, the seed that made it, and its size. */
public record ImageResult(byte[] png, long seed, int width, int height) {

    public ImageResult {
        Objects.requireNonNull(png, "png");
        png = png.clone();
    }

    @Override
    public byte[] png() {
        return png.clone();
    }
}
