package org.unclip.gateway.embeddings;

import java.util.ArrayList;
import java.util.List;

/**
 * The embedding arithmetic of the DALL·E 2 paper (section 3), on plain float vectors.
 *
 * <p>CLIP image embeddings point somewhere on a sphere: the image encoder returns unit vectors and
 * the prior returns vectors of about unit length (its normalised sample mapped back with {@code
 * clip_std}/{@code clip_mean}). {@link #slerp} therefore moves the <em>direction</em> along the
 * great circle between its endpoints and interpolates the <em>length</em> linearly, so that two
 * unit vectors give unit vectors all the way and other lengths are neither lost nor invented.
 *
 * <p>All arithmetic is done in double precision; results are rounded to float once.
 */
public final class EmbeddingMath {

    /** Below this angle (radians) two directions count as the same. */
    static final double PARALLEL = 1e-7;

    private EmbeddingMath() {}

    /** The Euclidean length of {@code v}. */
    public static double norm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }

    /**
     * {@code v / |v|}.
     *
     * @throws IllegalArgumentException when {@code v} is zero (or not finite): it has no direction
     */
    public static float[] normalize(float[] v) {
        double[] u = direction(v, "v");
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) u[i];
        }
        return out;
    }

    /**
     * The angle between {@code a} and {@code b} in radians, in [0, π].
     *
     * @throws IllegalArgumentException when either is zero or their lengths differ
     */
    public static double angle(float[] a, float[] b) {
        sameLength(a, b);
        return Math.acos(clampedCos(direction(a, "a"), direction(b, "b")));
    }

    /**
     * Spherical interpolation: {@code θ = 0} gives {@code a}, {@code θ = 1} gives {@code b}; in
     * between, the direction turns at a constant rate along the shorter great circle from
     * {@code a}'s direction to {@code b}'s (the angle to {@code a} is {@code θ·Ω}, {@code Ω} the
     * angle between them) and the length goes linearly from {@code |a|} to {@code |b|}.
     *
     * <p>Parallel directions give {@code a}'s direction with the interpolated length. For
     * antiparallel ones every great circle is as short as any other; this takes the one through
     * the coordinate axis least aligned with {@code a} (the lowest index among equals), so the
     * result is still deterministic.
     *
     * <p>{@code θ} may lie outside [0, 1] (extrapolation along the same circle). {@code θ = 0}
     * and {@code θ = 1} return exact copies of the endpoints.
     *
     * @throws IllegalArgumentException when the lengths differ, either vector is zero or not
     *     finite, or {@code θ} is not finite
     */
    public static float[] slerp(float[] a, float[] b, double theta) {
        sameLength(a, b);
        if (!Double.isFinite(theta)) {
            throw new IllegalArgumentException("theta must be finite, got " + theta);
        }
        double[] u = direction(a, "a");
        double[] v = direction(b, "b");
        if (theta == 0) {
            return a.clone();
        }
        if (theta == 1) {
            return b.clone();
        }
        double length = (1 - theta) * norm(a) + theta * norm(b);
        double omega = Math.acos(clampedCos(u, v));
        double[] dir;
        if (omega < PARALLEL) {
            dir = u;
        } else if (Math.PI - omega < PARALLEL) {
            dir = rotate(u, perpendicular(u), theta * Math.PI);
        } else {
            double sin = Math.sin(omega);
            double wa = Math.sin((1 - theta) * omega) / sin;
            double wb = Math.sin(theta * omega) / sin;
            dir = new double[u.length];
            for (int i = 0; i < u.length; i++) {
                dir[i] = wa * u[i] + wb * v[i];
            }
        }
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) (length * dir[i]);
        }
        return out;
    }

    /**
     * The text diff of the paper: {@code normalize(to − from)}, the unit direction in which CLIP's
     * text embedding moves from one caption to the other.
     *
     * @throws IllegalArgumentException when the two embeddings are equal (no direction)
     */
    public static float[] textDiff(float[] from, float[] to) {
        sameLength(from, to);
        float[] d = new float[from.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = to[i] - from[i];
        }
        return normalize(d);
    }

    /**
     * {@code frames} values evenly spaced from 0 to {@code max}, both included.
     *
     * @throws IllegalArgumentException when {@code frames < 2} or {@code max} is not finite
     */
    public static List<Double> thetas(int frames, double max) {
        if (frames < 2) {
            throw new IllegalArgumentException("at least two frames are needed, got " + frames);
        }
        if (!Double.isFinite(max)) {
            throw new IllegalArgumentException("max must be finite, got " + max);
        }
        List<Double> out = new ArrayList<>(frames);
        for (int i = 0; i < frames; i++) {
            out.add(i == frames - 1 ? max : max * i / (frames - 1));
        }
        return List.copyOf(out);
    }

    private static double[] rotate(double[] u, double[] w, double angle) {
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        double[] out = new double[u.length];
        for (int i = 0; i < u.length; i++) {
            out[i] = c * u[i] + s * w[i];
        }
        return out;
    }

    /** A unit vector perpendicular to the unit vector {@code u} (Gram–Schmidt on the least aligned axis). */
    private static double[] perpendicular(double[] u) {
        if (u.length < 2) {
            throw new IllegalArgumentException("antiparallel 1-dimensional vectors have no great circle between them");
        }
        int axis = 0;
        for (int i = 1; i < u.length; i++) {
            if (Math.abs(u[i]) < Math.abs(u[axis])) {
                axis = i;
            }
        }
        double[] w = new double[u.length];
        for (int i = 0; i < u.length; i++) {
            w[i] = (i == axis ? 1 : 0) - u[axis] * u[i];
        }
        double n = 0;
        for (double x : w) {
            n += x * x;
        }
        n = Math.sqrt(n);
        for (int i = 0; i < w.length; i++) {
            w[i] /= n;
        }
        return w;
    }

    private static double clampedCos(double[] u, double[] v) {
        double dot = 0;
        for (int i = 0; i < u.length; i++) {
            dot += u[i] * v[i];
        }
        return Math.max(-1, Math.min(1, dot));
    }

    private static double[] direction(float[] v, String name) {
        double n = norm(v);
        if (!(n > 0) || !Double.isFinite(n)) {
            throw new IllegalArgumentException(name + " has no direction: its length is " + n);
        }
        double[] u = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] / n;
        }
        return u;
    }

    private static void sameLength(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of different lengths: " + a.length + " and " + b.length);
        }
        if (a.length == 0) {
            throw new IllegalArgumentException("empty vectors");
        }
    }
}
