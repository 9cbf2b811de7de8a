package org.unclip.gateway.shapes;

import java.awt.image.BufferedImage;

/**
 * The checker's resizing: f x f block means where the image side is a multiple of the target side,
 * otherwise Pillow's BOX resampling (each source pixel whose centre falls in an output pixel's span
 * counts once; a horizontal then a vertical pass, both in Pillow's 22-bit fixed point, rounded to
 * 8 bits after each pass), as judge.py resizes.
 */
final class Downscale {

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private Downscale() {}

    /** [y][x][rgb] of a square image, 0..255. */
    static float[][][] pixels(BufferedImage image) {
        int n = image.getWidth();
        float[][][] out = new float[n][n][3];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int rgb = image.getRGB(x, y);
                out[y][x][0] = (rgb >> 16) & 0xff;
                out[y][x][1] = (rgb >> 8) & 0xff;
                out[y][x][2] = rgb & 0xff;
            }
        }
        return out;
    }

    /** The image at side x side: itself, block means, or Pillow's BOX resampling. */
    static float[][][] to(float[][][] img, int side) {
        int n = img.length;
        if (n == side) {
            return img;
        }
        return n % side == 0 ? blockMean(img, n / side, side) : box(img, side);
    }

    private static float[][][] blockMean(float[][][] img, int f, int side) {
        float[][][] out = new float[side][side][3];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                for (int c = 0; c < 3; c++) {
                    double sum = 0;
                    for (int dy = 0; dy < f; dy++) {
                        for (int dx = 0; dx < f; dx++) {
                            sum += img[y * f + dy][x * f + dx][c];
                        }
                    }
                    out[y][x][c] = (float) (sum / (f * f));
                }
            }
        }
        return out;
    }

    private static float[][][] box(float[][][] img, int side) {
        int n = img.length;
        Kernel k = Kernel.of(n, side);
        int[][][] across = new int[n][side][3];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < side; x++) {
                for (int c = 0; c < 3; c++) {
                    long ss = 1L << (PRECISION_BITS - 1);
                    for (int i = 0; i < k.count()[x]; i++) {
                        ss += (long) img[y][k.first()[x] + i][c] * k.weights()[x][i];
                    }
                    across[y][x][c] = clip8(ss);
                }
            }
        }
        float[][][] out = new float[side][side][3];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                for (int c = 0; c < 3; c++) {
                    long ss = 1L << (PRECISION_BITS - 1);
                    for (int i = 0; i < k.count()[y]; i++) {
                        ss += (long) across[k.first()[y] + i][x][c] * k.weights()[y][i];
                    }
                    out[y][x][c] = clip8(ss);
                }
            }
        }
        return out;
    }

    private static int clip8(long ss) {
        long v = ss >> PRECISION_BITS;
        return (int) Math.max(0, Math.min(255, v));
    }

    /** Per output pixel: the first source pixel, how many follow, and their fixed-point weights. */
    private record Kernel(int[] first, int[] count, int[][] weights) {

        static Kernel of(int in, int out) {
            double scale = in / (double) out;
            double filterScale = Math.max(scale, 1.0);
            double support = 0.5 * filterScale;
            double ss = 1.0 / filterScale;
            int[] first = new int[out];
            int[] count = new int[out];
            int[][] weights = new int[out][];
            for (int xx = 0; xx < out; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = Math.max(0, (int) (center - support + 0.5));
                int xmax = Math.min(in, (int) (center + support + 0.5)) - xmin;
                double[] w = new double[Math.max(xmax, 0)];
                double total = 0;
                for (int x = 0; x < xmax; x++) {
                    double t = (x + xmin - center + 0.5) * ss;
                    w[x] = t > -0.5 && t <= 0.5 ? 1.0 : 0.0;
                    total += w[x];
                }
                weights[xx] = new int[w.length];
                for (int x = 0; x < w.length; x++) {
                    double v = total != 0.0 ? w[x] / total : w[x];
                    weights[xx][x] = (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                first[xx] = xmin;
                count[xx] = w.length;
            }
            return new Kernel(first, count, weights);
        }
    }
}
