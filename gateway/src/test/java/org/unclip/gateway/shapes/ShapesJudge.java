package org.unclip.gateway.shapes;

import java.awt.image.BufferedImage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's Shapes-world checker, the same rules as training/unclip_training/judge.py (pinned by
 * the golden files that script writes): area-average the image to at most 128 px, classify every
 * pixel to the nearest palette colour, take the most frequent border colour as the background, keep
 * the 4-connected components of other pixels above a noise threshold and describe each by colour,
 * size, position and shape (fill ratio of its box, and where its mass lies).
 */
public final class ShapesJudge {

    static final int MAX_SIDE = 128;
    static final double MIN_AREA_FRACTION = 0.006;

    /** One object found in an image. */
    public record Found(String color, String shape, String size, String position, double cx, double cy, int area) {}

    /** What an image shows. Objects are sorted largest first. */
    public record Analysis(String background, List<Found> objects) {}

    /** A verdict: each check the caption implies, and whether all passed. */
    public record Verdict(Map<String, Boolean> checks, Analysis analysis) {
        public boolean ok() {
            return checks.values().stream().allMatch(Boolean::booleanValue);
        }
    }

    private ShapesJudge() {}

    public static Verdict judge(BufferedImage image, String caption) {
        Caption parsed = Caption.parse(caption);
        Analysis a = analyse(image);
        List<Found> objects = a.objects();
        Map<String, Boolean> checks = new LinkedHashMap<>();
        checks.put("background", a.background().equals(parsed.background()));
        if (parsed instanceof Caption.OneObject one) {
                checks.put("count", objects.size() == 1);
                Found o = objects.isEmpty() ? null : objects.get(0);
                checks.put("color", o != null && o.color().equals(one.color()));
                checks.put("shape", o != null && o.shape().equals(one.shape()));
                one.size().ifPresent(s -> checks.put("size", o != null && o.size().equals(s)));
                one.position().ifPresent(p -> checks.put("position", o != null && o.position().equals(p)));
        } else if (parsed instanceof Caption.TwoObjects two) {
                checks.put("count", objects.size() == 2);
                Found o1 = objects.stream().filter(o -> o.color().equals(two.color1())).findFirst().orElse(null);
                Found o2 = objects.stream()
                        .filter(o -> o.color().equals(two.color2()) && o != o1)
                        .findFirst()
                        .orElse(null);
                checks.put("color", o1 != null && o2 != null);
                checks.put("shape", o1 != null && o2 != null
                        && o1.shape().equals(two.shape1()) && o2.shape().equals(two.shape2()));
                boolean relation = false;
                if (o1 != null && o2 != null) {
                    double dx = Math.abs(o1.cx() - o2.cx());
                    double dy = Math.abs(o1.cy() - o2.cy());
                    relation = two.relation() == Caption.Relation.LEFT_OF
                            ? o1.cx() < o2.cx() && dx > dy
                            : o1.cy() < o2.cy() && dy > dx;
                }
                checks.put("relation", relation);
        }
        return new Verdict(checks, a);
    }

    public static Analysis analyse(BufferedImage image) {
        if (image.getWidth() != image.getHeight()) {
            throw new IllegalArgumentException("square images only, got " + image.getWidth() + "x" + image.getHeight());
        }
        int side = Math.min(image.getWidth(), MAX_SIDE);
        int[][] cls = classify(areaResize(image, side), side);
        int background = borderMajority(cls, side);
        List<Found> found = new ArrayList<>();
        for (List<int[]> pixels : components(cls, background, side)) {
            if (pixels.size() < MIN_AREA_FRACTION * side * side) {
                continue;
            }
            found.add(describe(pixels, cls, side));
        }
        found.sort(Comparator.comparingInt(Found::area).reversed());
        return new Analysis(ShapesWorld.COLORS.get(background), List.copyOf(found));
    }

    /** [y][x][rgb] in 0..255, averaged over f×f blocks where the image is f times larger. */
    private static float[][][] areaResize(BufferedImage image, int side) {
        int n = image.getWidth();
        if (n % side != 0) {
            throw new IllegalArgumentException("image side " + n + " is not a multiple of " + side);
        }
        int f = n / side;
        float[][][] out = new float[side][side][3];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                double r = 0, g = 0, b = 0;
                for (int dy = 0; dy < f; dy++) {
                    for (int dx = 0; dx < f; dx++) {
                        int rgb = image.getRGB(x * f + dx, y * f + dy);
                        r += (rgb >> 16) & 0xff;
                        g += (rgb >> 8) & 0xff;
                        b += rgb & 0xff;
                    }
                }
                out[y][x][0] = (float) (r / (f * f));
                out[y][x][1] = (float) (g / (f * f));
                out[y][x][2] = (float) (b / (f * f));
            }
        }
        return out;
    }

    private static int[][] classify(float[][][] img, int side) {
        int[][] cls = new int[side][side];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int best = 0;
                double bestDistance = Double.MAX_VALUE;
                for (int c = 0; c < ShapesWorld.PALETTE.length; c++) {
                    double d = 0;
                    for (int k = 0; k < 3; k++) {
                        double diff = img[y][x][k] - ShapesWorld.PALETTE[c][k];
                        d += diff * diff;
                    }
                    if (d < bestDistance) {
                        bestDistance = d;
                        best = c;
                    }
                }
                cls[y][x] = best;
            }
        }
        return cls;
    }

    private static int borderMajority(int[][] cls, int side) {
        int[] counts = new int[ShapesWorld.COLORS.size()];
        for (int i = 0; i < side; i++) {
            counts[cls[0][i]]++;
            counts[cls[side - 1][i]]++;
            counts[cls[i][0]]++;
            counts[cls[i][side - 1]]++;
        }
        return argmax(counts);
    }

    private static List<List<int[]>> components(int[][] cls, int background, int side) {
        boolean[][] seen = new boolean[side][side];
        List<List<int[]>> out = new ArrayList<>();
        int[][] steps = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (int y0 = 0; y0 < side; y0++) {
            for (int x0 = 0; x0 < side; x0++) {
                if (cls[y0][x0] == background || seen[y0][x0]) {
                    continue;
                }
                List<int[]> pixels = new ArrayList<>();
                ArrayDeque<int[]> queue = new ArrayDeque<>();
                queue.add(new int[] {y0, x0});
                seen[y0][x0] = true;
                while (!queue.isEmpty()) {
                    int[] p = queue.poll();
                    pixels.add(p);
                    for (int[] s : steps) {
                        int y = p[0] + s[0];
                        int x = p[1] + s[1];
                        if (y >= 0 && y < side && x >= 0 && x < side && cls[y][x] != background && !seen[y][x]) {
                            seen[y][x] = true;
                            queue.add(new int[] {y, x});
                        }
                    }
                }
                out.add(pixels);
            }
        }
        return out;
    }

    private static Found describe(List<int[]> pixels, int[][] cls, int side) {
        int[] colors = new int[ShapesWorld.COLORS.size()];
        int y0 = side, y1 = 0, x0 = side, x1 = 0;
        for (int[] p : pixels) {
            colors[cls[p[0]][p[1]]]++;
            y0 = Math.min(y0, p[0]);
            y1 = Math.max(y1, p[0] + 1);
            x0 = Math.min(x0, p[1]);
            x1 = Math.max(x1, p[1] + 1);
        }
        int w = x1 - x0;
        int h = y1 - y0;
        double fill = pixels.size() / (double) (w * h);
        double middle = (y0 + y1) / 2.0;
        long lowerCount = pixels.stream().filter(p -> p[0] >= middle).count();
        double lower = lowerCount / (double) pixels.size();
        String shape;
        if (fill > 0.89) {
            shape = "square";
        } else if (fill > 0.64 && lower < 0.6) {
            shape = "circle";
        } else if (lower >= 0.6) {
            shape = "triangle";
        } else {
            shape = fill > 0.55 ? "circle" : "triangle";
        }
        double sideFraction = Math.max(w, h) / (double) side;
        double cx = (x0 + x1) / 2.0 / side;
        double cy = (y0 + y1) / 2.0 / side;
        int position = 0;
        double best = Double.MAX_VALUE;
        for (int i = 0; i < ShapesWorld.POSITION_XY.length; i++) {
            double dx = ShapesWorld.POSITION_XY[i][0] - cx;
            double dy = ShapesWorld.POSITION_XY[i][1] - cy;
            if (dx * dx + dy * dy < best) {
                best = dx * dx + dy * dy;
                position = i;
            }
        }
        return new Found(ShapesWorld.COLORS.get(argmax(colors)), shape, sideFraction > 0.375 ? "large" : "small",
                ShapesWorld.POSITIONS.get(position), cx, cy, pixels.size());
    }

    private static int argmax(int[] counts) {
        int best = 0;
        for (int i = 1; i < counts.length; i++) {
            if (counts[i] > counts[best]) {
                best = i;
            }
        }
        return best;
    }
}
