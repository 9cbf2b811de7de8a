package org.unclip.gateway.shapes;

import java.awt.image.BufferedImage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's Shapes-world checker, a port of training/unclip_training/judge.py that must read every
 * image the same way (pinned by the golden files unclip_training.goldens writes).
 *
 * <p>Objects: the image is reduced to at most 128 px (block means where its side is a multiple, Pillow's
 * BOX resampling otherwise), every pixel takes the nearest palette colour, the most frequent border
 * colour is the background, and each 4-connected component of other pixels covering at least 0.6 % of
 * the canvas is an object: its majority colour, its box side over the canvas (large above 0.375), and
 * the nearest of the five anchor points to its box centre.
 *
 * <p>Shape is read from a finer mask: at the image's own resolution where that is a multiple of the
 * analysis size, the pixels within one analysis pixel of the component that are nearer the object's
 * colour than the background's. World shapes fill a square box, so on the mask's box (w x h, side s,
 * fill = pixels / (w h)) the shapes are tried in this order, with tolerances that shrink as 1/s:
 * <ul>
 *   <li>square: after trimming thin outer rows or columns (a thinned edge, a small bump) the fill is at
 *       least 0.9 and all four corners are there: in the corner triangles of side ceil(s/4) at most
 *       1 + 8 % of the triangle's pixels are missing on average, so rounded squares (a corner radius
 *       from about 15 % of the side) are not squares;</li>
 *   <li>circle: the fill is within 0.02 + 1.5/s of pi/4 and the row and column profiles are mirror
 *       symmetric (top against bottom, left against right, within 0.02 + 2/s of the area), so eggs,
 *       teardrops and pawns are not circles;</li>
 *   <li>triangle: the fill is at most 0.59 + 1.5/s and at least 65 % of the pixels lie in the lower
 *       half;</li>
 *   <li>for all three the box is nearly square (|w - h| at most 1 + 0.08 s); anything else is "other".</li>
 * </ul>
 * A box cut off by one canvas edge is first completed to s x s the way each shape continues: a square
 * repeats its last row, a circle is mirrored, a triangle mirrored sideways, empty above, repeated below.
 * Where lookalikes and coarse renders overlap the lookalikes lose: a square only 7-9 pixels wide at a
 * 32 px base, upsampled, loses as much of its corners as a 15 % rounding and may be read as "other".
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
        int n = image.getWidth();
        int side = Math.min(n, MAX_SIDE);
        int f = n % side == 0 ? n / side : 1;
        float[][][] pixels = Downscale.pixels(image);
        float[][][] small = Downscale.to(pixels, side);
        float[][][] full = f > 1 ? pixels : small;
        int[][] cls = classify(small, side);
        int background = borderMajority(cls, side);
        List<Found> found = new ArrayList<>();
        for (List<int[]> component : components(cls, background, side)) {
            if (component.size() < MIN_AREA_FRACTION * side * side) {
                continue;
            }
            found.add(describe(component, cls, side, full, f, background));
        }
        found.sort(Comparator.comparingInt(Found::area).reversed());
        return new Analysis(ShapesWorld.COLORS.get(background), List.copyOf(found));
    }

    /** Squared distance of a pixel to palette colour c, in single precision as judge.py computes it. */
    static float distance(float[] rgb, int c) {
        float d0 = rgb[0] - ShapesWorld.PALETTE[c][0];
        float d1 = rgb[1] - ShapesWorld.PALETTE[c][1];
        float d2 = rgb[2] - ShapesWorld.PALETTE[c][2];
        return d0 * d0 + d1 * d1 + d2 * d2;
    }

    private static int[][] classify(float[][][] img, int side) {
        int[][] cls = new int[side][side];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int best = 0;
                float bestDistance = Float.MAX_VALUE;
                for (int c = 0; c < ShapesWorld.PALETTE.length; c++) {
                    float d = distance(img[y][x], c);
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

    private static Found describe(List<int[]> pixels, int[][] cls, int side, float[][][] full, int f, int background) {
        int[] colors = new int[ShapesWorld.COLORS.size()];
        boolean[][] component = new boolean[side][side];
        int y0 = side, y1 = 0, x0 = side, x1 = 0;
        for (int[] p : pixels) {
            colors[cls[p[0]][p[1]]]++;
            component[p[0]][p[1]] = true;
            y0 = Math.min(y0, p[0]);
            y1 = Math.max(y1, p[0] + 1);
            x0 = Math.min(x0, p[1]);
            x1 = Math.max(x1, p[1] + 1);
        }
        int color = argmax(colors);
        String shape = ShapeReader.shapeOf(ShapeReader.objectMask(full, f, component, color, background)).shape();
        double sideFraction = Math.max(x1 - x0, y1 - y0) / (double) side;
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
        return new Found(ShapesWorld.COLORS.get(color), shape, sideFraction > 0.375 ? "large" : "small",
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
