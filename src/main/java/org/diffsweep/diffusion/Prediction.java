package org.diffsweep.diffusion;

/**
 * What a network without preconditioning predicts from the scaled state x = s·x̂ (docs/conventions.md, network
 * outputs), and the algebra that turns its output into the denoiser D(x̂; σ) ≈ E[x₀ | x̂], in float64.
 *
 * <p>With x = s·(x₀ + σ·n): ε = n; on a variance-preserving process (α = s, σ_VP = s·σ, α² + σ_VP² = 1, so
 * x = α·x₀ + σ_VP·ε), v = α·ε − σ_VP·x₀.
 */
public enum Prediction {

    /** ε: D = x̂ − σ·ε. */
    EPSILON("epsilon"),
    /** v = α·ε − σ_VP·x₀: D = α·x − σ_VP·v = s²·x̂ − s·σ·v (variance-preserving processes only). */
    V("v"),
    /** x₀ itself: D = the output. */
    SAMPLE("sample");

    private final String configName;

    Prediction(String configName) {
        this.configName = configName;
    }

    /** The name as a config's {@code model.output} writes it. */
    public String configName() {
        return configName;
    }

    /** The prediction of a config's output name. */
    public static Prediction of(String name) {
        for (Prediction p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("output '" + name + "', expected epsilon, v or sample");
    }

    /** Why this prediction is not defined on a process, or null if it is. */
    public String refusal(Process process) {
        if (this == V && !process.variancePreserving()) {
            return "output v (v = alpha·eps − sigma·x0) needs a variance-preserving process (vp or vp-discrete), "
                    + "found " + process.name() + ", whose scale is not 1/sqrt(1 + sigma^2)";
        }
        return null;
    }

    /**
     * The denoised batch from a network's output.
     *
     * @param out   the network's output at x = s·x̂
     * @param xHat  the unscaled state x̂
     * @param x     the state the network saw, s·x̂
     * @param s     the scale s(t)
     * @param sigma the noise level σ
     */
    public double[] denoised(double[] out, double[] xHat, double[] x, double s, double sigma) {
        double[] d = new double[xHat.length];
        switch (this) {
            case EPSILON -> {
                for (int i = 0; i < d.length; i++) {
                    d[i] = xHat[i] - sigma * out[i];
                }
            }
            case V -> {
                double sigmaVp = s * sigma;
                for (int i = 0; i < d.length; i++) {
                    d[i] = s * x[i] - sigmaVp * out[i];
                }
            }
            case SAMPLE -> System.arraycopy(out, 0, d, 0, d.length);
        }
        return d;
    }

    /**
     * The output a network of this kind gives for a given x₀ and ε at x = s·(x₀ + σ·ε) (the inverse of
     * {@link #denoised}; used to build exact networks from an exact model).
     */
    public double[] output(double[] x0, double[] eps, double s, double sigma) {
        double[] o = new double[x0.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = switch (this) {
                case EPSILON -> eps[i];
                case V -> s * eps[i] - s * sigma * x0[i];
                case SAMPLE -> x0[i];
            };
        }
        return o;
    }
}
