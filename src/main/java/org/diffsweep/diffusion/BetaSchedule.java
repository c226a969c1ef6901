package org.diffsweep.diffusion;

/**
 * The β schedules of a discrete DDPM process (docs/conventions.md, β schedules), under the names diffusers'
 * schedulers give them ({@code beta_schedule}). Step k = 1 … K has β_k; ᾱ_k = Π_{j≤k} (1 − β_j).
 */
public enum BetaSchedule {

    /** β_k linear from β_start to β_end (Ho et al.). */
    LINEAR("linear"),
    /** √β_k linear from √β_start to √β_end (latent diffusion). */
    SCALED_LINEAR("scaled_linear"),
    /**
     * Nichol and Dhariwal's cosine schedule: β_k = min(1 − f(k/K)/f((k−1)/K), 0.999),
     * f(t) = cos²((t + 0.008)/1.008 · π/2); β_start and β_end do not enter.
     */
    SQUAREDCOS_CAP_V2("squaredcos_cap_v2");

    /** The cap diffusers' {@code betas_for_alpha_bar} puts on the cosine schedule's β. */
    public static final double MAX_BETA = 0.999;

    private final String configName;

    BetaSchedule(String configName) {
        this.configName = configName;
    }

    /** The name as configs (and diffusers) write it. */
    public String configName() {
        return configName;
    }

    /** Whether β_start and β_end enter the schedule. */
    public boolean usesBetaRange() {
        return this != SQUAREDCOS_CAP_V2;
    }

    /** The schedule of a config name. */
    public static BetaSchedule of(String name) {
        for (BetaSchedule s : values()) {
            if (s.configName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("beta_schedule '" + name + "', expected linear, scaled_linear or "
                + "squaredcos_cap_v2");
    }

    /**
     * β_1 … β_K in float64: the schedule's formula evaluated in double arithmetic (linear: the expression
     * β_start + (β_end − β_start)·(k − 1)/(K − 1) that {@link DdpmProcess} has always used).
     */
    public double[] betas64(double betaStart, double betaEnd, int steps) {
        double[] b = new double[steps];
        for (int k = 1; k <= steps; k++) {
            b[k - 1] = switch (this) {
                case LINEAR -> betaStart + (betaEnd - betaStart) * (k - 1) / (steps - 1);
                case SCALED_LINEAR -> {
                    double r = Math.sqrt(betaStart) + (Math.sqrt(betaEnd) - Math.sqrt(betaStart)) * (k - 1)
                            / (steps - 1);
                    yield r * r;
                }
                case SQUAREDCOS_CAP_V2 -> cosineBeta(k, steps);
            };
        }
        return b;
    }

    /**
     * β_1 … β_K as diffusers builds them, float32 values: {@code torch.linspace(..., dtype=float32)} for the linear
     * schedules (squared in float32 for scaled_linear), the cosine formula in float64 rounded to float32.
     */
    public float[] betas32(double betaStart, double betaEnd, int steps) {
        float[] b = new float[steps];
        switch (this) {
            case LINEAR -> linspace32(betaStart, betaEnd, b);
            case SCALED_LINEAR -> {
                linspace32(Math.sqrt(betaStart), Math.sqrt(betaEnd), b);
                for (int i = 0; i < steps; i++) {
                    b[i] = b[i] * b[i];
                }
            }
            case SQUAREDCOS_CAP_V2 -> {
                for (int k = 1; k <= steps; k++) {
                    b[k - 1] = (float) cosineBeta(k, steps);
                }
            }
        }
        return b;
    }

    /**
     * torch.linspace in float32 on the CPU: the end points rounded to float32, step = (end − start)/(n − 1) in
     * float32, the first half start + i·step, the second half end − (n − 1 − i)·step, each a fused multiply-add
     * rounded once to float32 (torch's vectorised CPU kernels fuse them; rounding the product first differs by
     * one ulp at about a fifth of the points).
     */
    static void linspace32(double start, double end, float[] out) {
        int n = out.length;
        float a = (float) start;
        float e = (float) end;
        float step = (e - a) / (n - 1);
        int halfway = n / 2;
        for (int i = 0; i < n; i++) {
            out[i] = i < halfway ? Math.fma(step, (float) i, a) : Math.fma(-step, (float) (n - i - 1), e);
        }
    }

    private static double cosineBeta(int k, int steps) {
        double t1 = (double) (k - 1) / steps;
        double t2 = (double) k / steps;
        return Math.min(1 - cosineAlphaBar(t2) / cosineAlphaBar(t1), MAX_BETA);
    }

    private static double cosineAlphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }
}
