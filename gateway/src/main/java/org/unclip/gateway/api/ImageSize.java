package org.unclip.gateway.api;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A square output size as the API names it ({@code "256x256"}).
 *
 * @param label the API spelling
 * @param pixels the side in pixels, as sent to the decoder
 */
public record ImageSize(String label, int pixels) {

    private static final Pattern SQUARE = Pattern.compile("([1-9][0-9]{0,4})x([1-9][0-9]{0,4})");

    public ImageSize {
        if (pixels <= 0) {
            throw new IllegalArgumentException("pixels must be positive, got " + pixels);
        }
    }

    /** Parses {@code "WxW"}; empty for anything else, including non-square sizes. */
    public static Optional<ImageSize> parse(String label) {
        Matcher m = SQUARE.matcher(label.trim());
        if (!m.matches() || !m.group(1).equals(m.group(2))) {
            return Optional.empty();
        }
        return Optional.of(new ImageSize(m.group(1) + "x" + m.group(2), Integer.parseInt(m.group(1))));
    }
}
