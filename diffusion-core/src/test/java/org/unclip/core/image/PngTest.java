package org.unclip.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.tensor.Tensor;

class PngTest {

    @Test
    void mapsModelValuesToBytes() {
        assertThat(Png.toByte(-1f)).isEqualTo(0);
        assertThat(Png.toByte(1f)).isEqualTo(255);
        assertThat(Png.toByte(-7f)).isEqualTo(0);
        assertThat(Png.toByte(3f)).isEqualTo(255);
        assertThat(Png.toByte(0f)).isEqualTo(128); // 127.5 rounds half up
        assertThat(Png.toByte(220 / 127.5f - 1f)).isEqualTo(220);
    }

    @Test
    void encodesRgbThatDecodesBack() throws Exception {
        Tensor image = SeededNoise.batch(new long[] {3}, 9, 0, 3, 5, 7).reshape(3, 5, 7);
        byte[] png = Png.encode(image);
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
        BufferedImage read = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(read.getWidth()).isEqualTo(7);
        assertThat(read.getHeight()).isEqualTo(5);
        assertThat(read.getColorModel().getNumComponents()).isEqualTo(3);
        int p = read.getRGB(4, 2);
        assertThat((p >> 16) & 0xff).isEqualTo(Png.toByte(image.get(2 * 7 + 4)));
        assertThat((p >> 8) & 0xff).isEqualTo(Png.toByte(image.get(35 + 2 * 7 + 4)));
        assertThat(p & 0xff).isEqualTo(Png.toByte(image.get(70 + 2 * 7 + 4)));

        Tensor decoded = Png.decode(png);
        assertThat(decoded.shape()).containsExactly(3, 5, 7);
        for (int i = 0; i < decoded.size(); i++) {
            float clamped = Math.max(-1f, Math.min(1f, image.get(i)));
            assertThat(Math.abs(decoded.get(i) - clamped)).isLessThanOrEqualTo(1f / 127.5f);
            assertThat(Png.toByte(decoded.get(i))).isEqualTo(Png.toByte(image.get(i)));
        }
        assertThat(Png.encode(image.reshape(1, 3, 5, 7))).isEqualTo(png);
    }

    @Test
    void encodesAnIncompressibleImagePixelForPixel() throws Exception {
        // noise, clamped at both ends: differences between rows wrap around in the filtered bytes
        Tensor image = SeededNoise.batch(new long[] {11}, 9, 0, 3, 96, 128).reshape(3, 96, 128);
        BufferedImage read = ImageIO.read(new ByteArrayInputStream(Png.encode(image)));
        assertThat(read.getWidth()).isEqualTo(128);
        assertThat(read.getHeight()).isEqualTo(96);
        int plane = 96 * 128;
        for (int y = 0; y < 96; y++) {
            for (int x = 0; x < 128; x++) {
                int p = read.getRGB(x, y);
                int i = y * 128 + x;
                assertThat(new int[] {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff})
                        .as("pixel (%d, %d)", x, y)
                        .containsExactly(Png.toByte(image.get(i)), Png.toByte(image.get(plane + i)),
                                Png.toByte(image.get(2 * plane + i)));
            }
        }
    }

    @Test
    void decodesGreyAndAlphaImagesAsRgb() throws Exception {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(1, 0, 0, 255);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(grey, "png", out);
        Tensor t = Png.decode(out.toByteArray());
        assertThat(t.shape()).containsExactly(3, 1, 2);
        assertThat(t.data()).containsExactly(-1f, 1f, -1f, 1f, -1f, 1f);
    }

    @Test
    void rejectsWhatItCannotHandle() {
        assertThatThrownBy(() -> Png.decode(new byte[] {1, 2, 3})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Png.encode(Tensor.zeros(4, 2, 2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3,H,W]");
        assertThatThrownBy(() -> Png.encode(Tensor.filled(Float.NaN, 3, 2, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-finite");
    }

    /** A real 8×8 PNG whose header is rewritten to claim {@code side}×{@code side} (CRC fixed). */
    static byte[] claimingSide(int side) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", out);
        byte[] png = out.toByteArray();
        java.nio.ByteBuffer.wrap(png).putInt(16, side).putInt(20, side);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(png, 12, 17); // "IHDR" and its 13 data bytes
        java.nio.ByteBuffer.wrap(png).putInt(29, (int) crc.getValue());
        return png;
    }

    @Test
    void aSmallFileClaimingAHugeImage_isRefusedFromItsHeader() throws Exception {
        byte[] png = claimingSide(16000);
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();

        assertThatThrownBy(() -> Png.decode(png))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16000x16000")
                .hasMessageContaining("at most " + Png.MAX_DECODED_SIDE);
        assertThat(png.length).isLessThan(200);
        assertThatThrownBy(() -> Png.decode(claimingSide(64), 32)).hasMessageContaining("64x64");
        assertThat(Png.decode(claimingSide(8)).shape()).containsExactly(3, 8, 8);
        assertThat(Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory() - before).isLessThan(256L << 20);
    }
}
