package org.unclip.gateway.jobs;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/** Keeps preview events small: PNGs wider or taller than a limit are scaled down. */
public final class Previews {

    private Previews() {}

    /**
     * @return {@code png} itself when it fits in {@code maxSide}² (or is not a readable image),
     *     else a PNG scaled down to fit, keeping the aspect ratio
     */
    public static byte[] shrink(byte[] png, int maxSide) {
        if (maxSide <= 0) {
            return png;
        }
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            if (image == null || (image.getWidth() <= maxSide && image.getHeight() <= maxSide)) {
                return png;
            }
            double scale = Math.min((double) maxSide / image.getWidth(), (double) maxSide / image.getHeight());
            int width = Math.max(1, (int) Math.round(image.getWidth() * scale));
            int height = Math.max(1, (int) Math.round(image.getHeight() * scale));
            BufferedImage small = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = small.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, width, height, null);
            g.dispose();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(small, "png", out);
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            return png;
        }
    }
}
