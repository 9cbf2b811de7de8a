package org.unclip.gateway.jobs;

import java.util.Objects;

/** A generated image as stored in Redis: base64 PNG, ready to be sent as {@code b64_json}. */
public record StoredImage(String pngBase64, long seed, int width, int height) {

    public StoredImage {
        Objects.requireNonNull(pngBase64, "pngBase64");
    }
}
