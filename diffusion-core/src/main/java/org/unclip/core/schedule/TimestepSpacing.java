package org.unclip.core.schedule;

/**
 * Which training timesteps an n-step sampling run visits (diffusers {@code timestep_spacing}).
 * Every result is in descending order, starting near T−1.
 */
public enum TimestepSpacing {
    /**
     * {@code round(arange(n)·(T−1)/(n−1))} reversed, rounding half to even like numpy: the spacing of
     * UnCLIPScheduler and of Karlo's respacing. One step gives {@code [T−1]}.
     */
    LINSPACE,
    /** {@code arange(n)·(T div n)} reversed (DDPM/DDIM "leading", steps_offset 0). */
    LEADING,
    /** {@code round(arange(T, 0, −T/n)) − 1} ("trailing"). */
    TRAILING;

    /** The timesteps of an {@code steps}-step run over a {@code numTrainTimesteps}-step schedule. */
    public int[] timesteps(int steps, int numTrainTimesteps) {
        if (steps < 1 || steps > numTrainTimesteps) {
            throw new IllegalArgumentException("steps must lie in [1, " + numTrainTimesteps + "], got " + steps);
        }
        int[] ts = new int[steps];
        switch (this) {
            case LINSPACE -> {
                if (steps == 1) {
                    ts[0] = numTrainTimesteps - 1;
                    return ts;
                }
                double ratio = (double) (numTrainTimesteps - 1) / (steps - 1);
                for (int i = 0; i < steps; i++) {
                    ts[steps - 1 - i] = (int) Math.rint(i * ratio);
                }
            }
            case LEADING -> {
                int ratio = numTrainTimesteps / steps;
                for (int i = 0; i < steps; i++) {
                    ts[steps - 1 - i] = i * ratio;
                }
            }
            case TRAILING -> {
                double ratio = (double) numTrainTimesteps / steps;
                for (int i = 0; i < steps; i++) {
                    ts[i] = (int) Math.rint(numTrainTimesteps - i * ratio) - 1;
                }
            }
        }
        return ts;
    }

    /** The timestep after {@code timesteps[i]} in a run, or -1 after the last. */
    public static int previous(int[] timesteps, int i) {
        return i + 1 < timesteps.length ? timesteps[i + 1] : -1;
    }
}
