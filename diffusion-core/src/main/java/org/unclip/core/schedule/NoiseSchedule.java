package org.unclip.core.schedule;

import java.util.Arrays;

/**
 * The forward-process noise schedule of a model, stored in float32 the way diffusers stores it:
 * {@code betas}, {@code alphas = 1 − betas} and {@code alphasCumprod} (ᾱ_t, a cumulative product
 * accumulated in double and rounded per element, as torch.cumprod does on the CPU).
 */
public record NoiseSchedule(float[] betas, float[] alphas, float[] alphasCumprod) {

    /** The largest β squaredcos_cap_v2 allows. */
    public static final double MAX_BETA = 0.999;

    public NoiseSchedule {
        if (betas.length < 2 || alphas.length != betas.length || alphasCumprod.length != betas.length) {
            throw new IllegalArgumentException("betas, alphas and alphasCumprod need one equal length >= 2");
        }
        betas = betas.clone();
        alphas = alphas.clone();
        alphasCumprod = alphasCumprod.clone();
    }

    /** A {@code numTrainTimesteps}-step schedule; β bounds apply to {@link BetaSchedule#LINEAR} only. */
    public static NoiseSchedule create(BetaSchedule kind, int numTrainTimesteps, double betaStart, double betaEnd) {
        float[] betas = switch (kind) {
            case SQUAREDCOS_CAP_V2 -> squaredCosCapV2(numTrainTimesteps);
            case LINEAR -> linear(numTrainTimesteps, (float) betaStart, (float) betaEnd);
        };
        return fromBetas(betas);
    }

    /** A squaredcos_cap_v2 or default-bounds linear schedule. */
    public static NoiseSchedule create(BetaSchedule kind, int numTrainTimesteps) {
        return create(kind, numTrainTimesteps, 0.0001, 0.02);
    }

    /** Derives alphas and their cumulative product from {@code betas}. */
    public static NoiseSchedule fromBetas(float[] betas) {
        float[] alphas = new float[betas.length];
        float[] cumprod = new float[betas.length];
        double acc = 1.0;
        for (int i = 0; i < betas.length; i++) {
            alphas[i] = 1f - betas[i];
            acc *= alphas[i];
            cumprod[i] = (float) acc;
        }
        return new NoiseSchedule(betas, alphas, cumprod);
    }

    private static float[] squaredCosCapV2(int n) {
        float[] betas = new float[n];
        for (int i = 0; i < n; i++) {
            double t1 = (double) i / n;
            double t2 = (double) (i + 1) / n;
            betas[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), MAX_BETA);
        }
        return betas;
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** torch.linspace(start, end, n, dtype=float32): float arithmetic, filled from both ends. */
    private static float[] linear(int n, float start, float end) {
        float step = (end - start) / (float) (n - 1);
        float[] betas = new float[n];
        int halfway = n / 2;
        for (int i = 0; i < n; i++) {
            betas[i] = i < halfway ? start + step * i : end - step * (n - i - 1);
        }
        return betas;
    }

    public int numTrainTimesteps() {
        return betas.length;
    }

    /** ᾱ_t, with ᾱ_{-1} = 1 (the "previous" step of the final one). */
    public float alphaCumprod(int t) {
        checkT(t, -1);
        return t < 0 ? 1f : alphasCumprod[t];
    }

    public float beta(int t) {
        checkT(t, 0);
        return betas[t];
    }

    public float alpha(int t) {
        checkT(t, 0);
        return alphas[t];
    }

    private void checkT(int t, int lowest) {
        if (t < lowest || t >= betas.length) {
            throw new IllegalArgumentException("timestep " + t + " outside [" + lowest + ", " + (betas.length - 1) + "]");
        }
    }

    @Override
    public float[] betas() {
        return betas.clone();
    }

    @Override
    public float[] alphas() {
        return alphas.clone();
    }

    @Override
    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoiseSchedule s && Arrays.equals(betas, s.betas);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(betas);
    }

    @Override
    public String toString() {
        return "NoiseSchedule[T=" + betas.length + "]";
    }
}
