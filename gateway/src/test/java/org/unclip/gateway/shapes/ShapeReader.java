package org.unclip.gateway.shapes;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** Reads an object's shape from its mask, as judge.py's shape_of does (see {@link ShapesJudge}). */
final class ShapeReader {

    /** A mask cropped to its bounding box, [row][column], and where that box lies on the canvas. */
    record Box(boolean[][] mask, Frame frame) {
        int height() {
            return mask.length;
        }

        int width() {
            return mask[0].length;
        }
    }

    /** top, left of a box on a canvas of height x width; null where unknown. */
    record Frame(int top, int left, int canvasHeight, int canvasWidth) {}

    /** The sides of a box, in the order judge.py completes them: each is k quarter turns from the right. */
    enum Side {
        RIGHT, BOTTOM, LEFT, TOP;

        Side opposite() {
            return values()[(ordinal() + 2) % 4];
        }
    }

    /** How rows (columns) a canvas edge cut off are added back. */
    enum Refill { EDGE, MIRROR, EMPTY }

    private static final Map<String, Map<Side, Refill>> COMPLETE = Map.of(
            "square", Map.of(Side.LEFT, Refill.EDGE, Side.RIGHT, Refill.EDGE, Side.TOP, Refill.EDGE,
                    Side.BOTTOM, Refill.EDGE),
            "circle", Map.of(Side.LEFT, Refill.MIRROR, Side.RIGHT, Refill.MIRROR, Side.TOP, Refill.MIRROR,
                    Side.BOTTOM, Refill.MIRROR),
            "triangle", Map.of(Side.LEFT, Refill.MIRROR, Side.RIGHT, Refill.MIRROR, Side.TOP, Refill.EMPTY,
                    Side.BOTTOM, Refill.EDGE));

    /** Pixel counts and ratios of a mask; the shape tests read only these. */
    record Measures(int w, int h, int side, int area, double fill, double lower, double rowAsymmetry,
            double columnAsymmetry, int cornerTriangle, int[] cornerMissing) {

        double meanCornerMissing() {
            double sum = 0;
            for (int m : cornerMissing) {
                sum += m;
            }
            return sum / cornerMissing.length;
        }
    }

    /** A shape (circle, square, triangle or other) and the measures it was read on. */
    record Reading(String shape, Measures measures) {}

    private ShapeReader() {}

    static Reading shapeOf(Box box) {
        for (String shape : new String[] {"square", "circle", "triangle"}) {
            Box b = shape.equals("square") ? body(box) : box;
            Measures m = measures(complete(b.mask(), canvasEdges(b), COMPLETE.get(shape)));
            if (accepts(shape, m)) {
                return new Reading(shape, m);
            }
        }
        return new Reading("other", measures(box.mask()));
    }

    /**
     * The object's pixels at the resolution of {@code full} ({@code f} times the analysis size): those
     * within one analysis pixel (8-neighbourhood) of the component that lie nearer palette colour
     * {@code color} than the background's.
     */
    static Box objectMask(float[][][] full, int f, boolean[][] component, int color, int background) {
        int side = component.length;
        boolean[][] near = dilate(component);
        int n = full.length;
        int y0 = n, y1 = -1, x0 = n, x1 = -1;
        boolean[][] m = new boolean[n][n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                if (y / f < side && x / f < side && near[y / f][x / f]
                        && ShapesJudge.distance(full[y][x], color) < ShapesJudge.distance(full[y][x], background)) {
                    m[y][x] = true;
                    y0 = Math.min(y0, y);
                    y1 = Math.max(y1, y);
                    x0 = Math.min(x0, x);
                    x1 = Math.max(x1, x);
                }
            }
        }
        if (y1 < 0) {
            return new Box(new boolean[1][1], null);
        }
        boolean[][] crop = new boolean[y1 - y0 + 1][];
        for (int y = y0; y <= y1; y++) {
            crop[y - y0] = Arrays.copyOfRange(m[y], x0, x1 + 1);
        }
        return new Box(crop, new Frame(y0, x0, n, n));
    }

    private static boolean[][] dilate(boolean[][] mask) {
        int n = mask.length;
        boolean[][] out = new boolean[n][n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                if (!mask[y][x]) {
                    continue;
                }
                for (int yy = Math.max(0, y - 1); yy <= Math.min(n - 1, y + 1); yy++) {
                    for (int xx = Math.max(0, x - 1); xx <= Math.min(n - 1, x + 1); xx++) {
                        out[yy][xx] = true;
                    }
                }
            }
        }
        return out;
    }

    static Set<Side> canvasEdges(Box box) {
        Set<Side> edges = EnumSet.noneOf(Side.class);
        Frame fr = box.frame();
        if (fr == null) {
            return edges;
        }
        if (fr.left() == 0) {
            edges.add(Side.LEFT);
        }
        if (fr.left() + box.width() == fr.canvasWidth()) {
            edges.add(Side.RIGHT);
        }
        if (fr.top() == 0) {
            edges.add(Side.TOP);
        }
        if (fr.top() + box.height() == fr.canvasHeight()) {
            edges.add(Side.BOTTOM);
        }
        return edges;
    }

    /**
     * Trims from each side up to ceil(s/10) outer rows (columns) holding fewer than half the pixels of
     * the fullest one, where the row (column) inside them holds at least 0.8 of the fullest.
     */
    static Box body(Box box) {
        boolean[][] b = box.mask();
        int h = b.length;
        int w = b[0].length;
        int limit = (int) Math.ceil(Math.max(h, w) / 10.0);
        int[] rows = rowCounts(b);
        int[] cols = columnCounts(b);
        int top = lead(rows, limit, false);
        int bottom = h - lead(rows, limit, true);
        int left = lead(cols, limit, false);
        int right = w - lead(cols, limit, true);
        boolean[][] out = new boolean[Math.max(bottom - top, 0)][];
        for (int y = top; y < bottom; y++) {
            out[y - top] = Arrays.copyOfRange(b[y], left, right);
        }
        Frame fr = box.frame() == null ? null
                : new Frame(box.frame().top() + top, box.frame().left() + left, box.frame().canvasHeight(),
                        box.frame().canvasWidth());
        return new Box(out, fr);
    }

    private static int lead(int[] counts, int limit, boolean fromEnd) {
        int len = counts.length;
        int max = 0;
        for (int c : counts) {
            max = Math.max(max, c);
        }
        int n = 0;
        while (n < limit && n < len - 1 && 2 * at(counts, n, fromEnd) < max) {
            n++;
        }
        return at(counts, n, fromEnd) >= 0.8 * max ? n : 0;
    }

    private static int at(int[] counts, int i, boolean fromEnd) {
        return fromEnd ? counts[counts.length - 1 - i] : counts[i];
    }

    /**
     * Completes a box the canvas cut off: where it touches one canvas edge of an axis (not the
     * opposite one) and is shorter along that axis than across it (but by less than its own length),
     * the missing rows (columns) are added on that side per {@code how}.
     */
    static boolean[][] complete(boolean[][] box, Set<Side> edges, Map<Side, Refill> how) {
        int s = Math.max(box.length, box[0].length);
        for (Side side : Side.values()) {
            if (!edges.contains(side) || edges.contains(side.opposite())) {
                continue;
            }
            int k = side.ordinal();
            boolean[][] b = rotate(box, k);
            int h = b.length;
            int w = b[0].length;
            int d = s - w;
            if (d <= 0 || d >= w) {
                continue;
            }
            boolean[][] grown = new boolean[h][s];
            for (int y = 0; y < h; y++) {
                System.arraycopy(b[y], 0, grown[y], 0, w);
                for (int x = w; x < s; x++) {
                    grown[y][x] = switch (how.get(side)) {
                        case EDGE -> b[y][w - 1];
                        case MIRROR -> b[y][s - 1 - x];
                        case EMPTY -> false;
                    };
                }
            }
            box = rotate(grown, (4 - k) % 4);
        }
        return box;
    }

    /** numpy's rot90(m, k): k quarter turns counter-clockwise. */
    static boolean[][] rotate(boolean[][] m, int k) {
        boolean[][] out = m;
        for (int t = 0; t < k; t++) {
            int h = out.length;
            int w = out[0].length;
            boolean[][] r = new boolean[w][h];
            for (int i = 0; i < w; i++) {
                for (int j = 0; j < h; j++) {
                    r[i][j] = out[j][w - 1 - i];
                }
            }
            out = r;
        }
        return out;
    }

    static Measures measures(boolean[][] box) {
        int h = box.length;
        int w = box[0].length;
        int s = Math.max(w, h);
        int[] rows = rowCounts(box);
        int[] cols = columnCounts(box);
        int n = 0;
        double lowerMass = 0;
        for (int y = 0; y < h; y++) {
            n += rows[y];
            double yc = y + 0.5;
            lowerMass += rows[y] * (yc > h / 2.0 ? 1.0 : yc == h / 2.0 ? 0.5 : 0.0);
        }
        int k = Math.max(2, (int) Math.ceil(s / 4.0));
        int kk = Math.min(k, Math.min(w, h));
        int triangle = 0;
        int[] missing = new int[4];
        for (int i = 0; i < kk; i++) {
            for (int j = 0; j < kk; j++) {
                if (i + j >= k) {
                    continue;
                }
                triangle++;
                missing[0] += box[i][j] ? 0 : 1;
                missing[1] += box[h - 1 - i][j] ? 0 : 1;
                missing[2] += box[i][w - 1 - j] ? 0 : 1;
                missing[3] += box[h - 1 - i][w - 1 - j] ? 0 : 1;
            }
        }
        int nn = Math.max(n, 1);
        return new Measures(w, h, s, n, n / (double) (w * h), lowerMass / nn,
                asymmetry(rows) / (2.0 * nn), asymmetry(cols) / (2.0 * nn), triangle, missing);
    }

    static boolean accepts(String shape, Measures m) {
        int s = m.side();
        if (Math.abs(m.w() - m.h()) > 1 + 0.08 * s) {
            return false;
        }
        return switch (shape) {
            case "square" -> m.fill() >= 0.9 && m.meanCornerMissing() <= 1 + 0.08 * m.cornerTriangle();
            case "circle" -> {
                double symmetry = 0.02 + 2.0 / s;
                yield Math.abs(m.fill() - Math.PI / 4) <= 0.02 + 1.5 / s
                        && m.rowAsymmetry() <= symmetry && m.columnAsymmetry() <= symmetry;
            }
            default -> m.fill() <= 0.59 + 1.5 / s && m.lower() >= 0.65;
        };
    }

    private static int asymmetry(int[] counts) {
        int sum = 0;
        for (int i = 0; i < counts.length; i++) {
            sum += Math.abs(counts[i] - counts[counts.length - 1 - i]);
        }
        return sum;
    }

    private static int[] rowCounts(boolean[][] box) {
        int[] rows = new int[box.length];
        for (int y = 0; y < box.length; y++) {
            for (boolean p : box[y]) {
                rows[y] += p ? 1 : 0;
            }
        }
        return rows;
    }

    private static int[] columnCounts(boolean[][] box) {
        int[] cols = new int[box[0].length];
        for (boolean[] row : box) {
            for (int x = 0; x < row.length; x++) {
                cols[x] += row[x] ? 1 : 0;
            }
        }
        return cols;
    }
}
