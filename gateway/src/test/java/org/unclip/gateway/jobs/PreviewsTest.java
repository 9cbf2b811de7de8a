package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PreviewsTest {

    private static byte[] png(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    @Test
    void largePreviews_areScaledDownToTheLimit() throws Exception {
        byte[] small = Previews.shrink(png(256, 128), 64);

        BufferedImage image = ImageIO.read(new ByteArrayInputStream(small));
        assertThat(image.getWidth()).isEqualTo(64);
        assertThat(image.getHeight()).isEqualTo(32);
    }

    @Test
    void smallPreviewsAndNonImages_areKeptAsTheyAre() throws Exception {
        byte[] png = png(32, 32);
        assertThat(Previews.shrink(png, 64)).isSameAs(png);
        assertThat(Previews.shrink(png, 0)).isSameAs(png);
        byte[] junk = {1, 2, 3};
        assertThat(Previews.shrink(junk, 64)).isSameAs(junk);
    }
}
