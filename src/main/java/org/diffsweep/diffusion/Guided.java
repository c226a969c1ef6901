package org.diffsweep.diffusion;

/**
 * Guidance as a denoiser: D = D_u + w·(D_c − D_u).
 *
 * <ul>
 *   <li>classifier-free guidance: D_c the model given each row's class, D_u the same model given the null label
 *       ({@link #nullLabel}: both branches in one call on the 2B rows [x; x]), or an unconditional second network
 *       ({@link #twoModels});
 *   <li>autoguidance (EDM2): D_c the main model, D_u a weaker guide model of the same family given the same labels
 *       ({@link #twoModels}).
 * </ul>
 *
 * <p>At w = 1 the result is D_c itself (the guide is not called), so a guided config at w = 1 is the conditional
 * model exactly. The sampler sees one denoiser evaluation per call, whatever the branches cost: NFE counts these;
 * {@link #branchEvaluations} counts, per row, the network evaluations behind them (two per call at w ≠ 1).
 */
public final class Guided implements Denoiser {

    private final Denoiser conditional;
    private final Denoiser guide;
    /** One call on [x; x] giving [D_c; D_u], or null when the branches are two models. */
    private final Denoiser both;
    private final double w;
    private long branchEvaluations;

    private Guided(Denoiser conditional, Denoiser guide, Denoiser both, double w) {
        if (!(w >= 0 && w < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("guidance " + w + ", expected a finite scale >= 0");
        }
        this.conditional = conditional;
        this.guide = guide;
        this.both = both;
        this.w = w;
    }

    /** Classifier-free guidance with the model's own null label: one forward pass of 2B rows per evaluation. */
    public static Guided nullLabel(ConditionalDenoiser model, int[] labels, double w) {
        if (!model.hasNull()) {
            throw new IllegalArgumentException("model " + model.id() + " has no null label, expected one for "
                    + "classifier-free guidance (or a guide network)");
        }
        int b = labels.length;
        int[] pair = java.util.Arrays.copyOf(labels, 2 * b);
        java.util.Arrays.fill(pair, b, 2 * b, ConditionalDenoiser.NULL);
        return new Guided(model.given(labels), null, model.given(pair), w);
    }

    /** Guidance by a second model (unconditional, or a conditional guide already given the labels): two calls. */
    public static Guided twoModels(Denoiser conditional, Denoiser guide, double w) {
        if (conditional.dim() != guide.dim()) {
            throw new IllegalArgumentException("guide " + guide.id() + " has " + guide.dim() + " values per sample, "
                    + "expected " + conditional.dim() + " (the model's)");
        }
        return new Guided(conditional, guide, null, w);
    }

    @Override
    public int dim() {
        return conditional.dim();
    }

    @Override
    public String id() {
        return conditional.id();
    }

    public double scale() {
        return w;
    }

    @Override
    public double[] denoise(double[] x, int batch, double sigma) {
        if (w == 1) {
            branchEvaluations += 1;
            return conditional.denoise(x, batch, sigma);
        }
        double[] dc;
        double[] du;
        if (both != null) {
            double[] xx = new double[2 * x.length];
            System.arraycopy(x, 0, xx, 0, x.length);
            System.arraycopy(x, 0, xx, x.length, x.length);
            double[] pair = both.denoise(xx, 2 * batch, sigma);
            dc = java.util.Arrays.copyOfRange(pair, 0, x.length);
            du = java.util.Arrays.copyOfRange(pair, x.length, 2 * x.length);
        } else {
            dc = conditional.denoise(x, batch, sigma);
            du = guide.denoise(x, batch, sigma);
        }
        branchEvaluations += 2;
        double[] d = new double[x.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = du[i] + w * (dc[i] - du[i]);
        }
        return d;
    }

    /** Network evaluations of each row so far: 1 per call at w = 1, else 2 (both branches). */
    public long branchEvaluations() {
        return branchEvaluations;
    }
}
