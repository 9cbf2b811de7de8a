package org.unclip.core.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.unclip.core.tensor.Tensor;

/**
 * PNG encoding of model images and decoding of user images. Model images are RGB tensors
 * {@code [3,H,W]} with values in [−1, 1]; a pixel is {@code round(clamp((x+1)/2, 0, 1)·255)},
 * rounding half up in float32 ({@code floor(v·255 + 0.5)}), exactly as the Python reference
 * ({@code training/unclip_training/world.py: to_uint8}).
 */
public final class Png {

    private Png() {}

    /**
     * Encodes one image as an 8-bit RGB PNG.
     *
     * @param image {@code [3,H,W]} or {@code [1,3,H,W]}, values in [−1, 1] (clamped)
     * @throws IllegalArgumentException on another shape or a non-finite value
     */
    public static byte[] encode(Tensor image) {
        long[] s = image.shape();
        boolean chw = s.length == 3 && s[0] == 3;
        boolean bchw = s.length == 4 && s[0] == 1 && s[1] == 3;
        if (!chw && !bchw) {
            throw new IllegalArgumentException("expected an RGB image [3,H,W] or [1,3,H,W], got "
                    + java.util.Arrays.toString(s));
        }
        int h = (int) s[s.length - 2];
        int w = (int) s[s.length - 1];
        if (h == 0 || w == 0) {
            throw new IllegalArgumentException("empty image " + java.util.Arrays.toString(s));
        }
        int bad = image.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException("image has a non-finite value at element " + bad);
        }
        float[] x = image.data();
        int plane = h * w;
        int stride = 3 * w;
        // scanlines with the Up filter (each byte minus the one above it): these flat-coloured
        // images compress almost as well as with adaptive filters, at a fraction of the time
        byte[] filtered = new byte[h * (stride + 1)];
        byte[] above = new byte[stride];
        byte[] row = new byte[stride];
        for (int y = 0; y < h; y++) {
            for (int i = 0, p = y * w; i < w; i++, p++) {
                row[3 * i] = (byte) toByte(x[p]);
                row[3 * i + 1] = (byte) toByte(x[plane + p]);
                row[3 * i + 2] = (byte) toByte(x[2 * plane + p]);
            }
            int o = y * (stride + 1);
            filtered[o] = FILTER_UP;
            for (int i = 0; i < stride; i++) {
                filtered[o + 1 + i] = (byte) (row[i] - above[i]);
            }
            byte[] t = above;
            above = row;
            row = t;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(filtered.length / 3 + 128);
        out.writeBytes(SIGNATURE);
        ByteBuffer header = ByteBuffer.allocate(13).putInt(w).putInt(h);
        header.put((byte) 8).put(COLOUR_RGB).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", header.array(), 13);
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(filtered);
            deflater.finish();
            ByteArrayOutputStream compressed = new ByteArrayOutputStream(filtered.length / 3 + 64);
            byte[] buffer = new byte[16 * 1024];
            while (!deflater.finished()) {
                compressed.write(buffer, 0, deflater.deflate(buffer));
            }
            chunk(out, "IDAT", compressed.toByteArray(), compressed.size());
        } finally {
            deflater.end();
        }
        chunk(out, "IEND", new byte[0], 0);
        return out.toByteArray();
    }

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final byte COLOUR_RGB = 2;
    private static final byte FILTER_UP = 2;

    /** One chunk: length, type, data, CRC-32 of type and data. */
    private static void chunk(ByteArrayOutputStream out, String type, byte[] data, int length) {
        byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data, 0, length);
        out.writeBytes(ByteBuffer.allocate(4).putInt(length).array());
        out.writeBytes(typeBytes);
        out.write(data, 0, length);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** The 8-bit value of a model value in [−1, 1]: floor(clamp((x+1)/2, 0, 1)·255 + 0.5), in float32. */
    public static int toByte(float x) {
        float v = (x + 1f) / 2f;
        v = Math.min(Math.max(v, 0f), 1f);
        return (int) Math.floor(v * 255f + 0.5f);
    }

    /** Largest side {@link #decode(byte[])} accepts; larger images are refused from their header. */
    public static final int MAX_DECODED_SIDE = 2048;

    /**
     * Decodes any image ImageIO reads (PNG, JPEG, ...) into RGB {@code [3,H,W]} in [−1, 1]
     * ({@code p/127.5 − 1}); grey images are expanded, alpha is dropped. Images with a side over
     * {@link #MAX_DECODED_SIDE} are refused before any pixel is decoded.
     *
     * @throws IllegalArgumentException when the bytes are not a readable image, or too large
     */
    public static Tensor decode(byte[] bytes) {
        return decode(bytes, MAX_DECODED_SIDE);
    }

    /**
     * Like {@link #decode(byte[])}, refusing images with a side over {@code maxSide}: the size is
     * read from the header (an {@link ImageReader}), so a small file that claims a huge image costs
     * no memory.
     */
    public static Tensor decode(byte[] bytes, int maxSide) {
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IllegalArgumentException("not a readable image (PNG or JPEG expected)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width < 1 || height < 1 || width > maxSide || height > maxSide) {
                    throw new IllegalArgumentException(
                            "the image is " + width + "x" + height + " pixels; at most " + maxSide + " pixels a side are accepted");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot decode image: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IllegalArgumentException("not a readable image (PNG or JPEG expected)");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] d = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            d[i] = ((p >> 16) & 0xff) / 127.5f - 1f;
            d[plane + i] = ((p >> 8) & 0xff) / 127.5f - 1f;
            d[2 * plane + i] = (p & 0xff) / 127.5f - 1f;
        }
        return new Tensor(new long[] {3, h, w}, d);
    }
}
