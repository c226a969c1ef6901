package org.diffsweep.metrics;

/**
 * The seed-to-seed spread of an FID by the delete-a-group jackknife.
 *
 * <p>The n seeds of a config are cut into G contiguous groups of (nearly) equal size. θ is the FID of all
 * n seeds; θ₍g₎ the FID with group g left out. The jackknife standard error is
 * <pre>
 *   SE = √( (G − 1)/G · Σ_g (θ₍g₎ − θ̄)² ),   θ̄ = (1/G) Σ_g θ₍g₎
 * </pre>
 * the standard error of θ over repeated draws of n seeds (FID is a smooth function of the feature sums, so
 * the jackknife is consistent for it). Because every config of a sweep uses the same seeds, a paired
 * difference θ_A − θ_B gets its SE the same way from the per-group differences θ_A₍g₎ − θ_B₍g₎: the spread
 * that the shared seeds have in common cancels, which is what makes small differences measurable.
 *
 * <p>This needs only the per-group sums (n, Σf, Σffᵀ), so it fits the one-pass reduce of the fid job.
 */
public final class JackknifeFid {

    /** Groups the fid job cuts each config's seeds into. */
    public static final int DEFAULT_GROUPS = 10;

    private JackknifeFid() {
    }

    /** The number of groups for n seeds: {@link #DEFAULT_GROUPS}, fewer when n is smaller; 1 means no spread. */
    public static int groups(long n) {
        return (int) Math.max(1, Math.min(DEFAULT_GROUPS, n));
    }

    /** The group of the seed at {@code offset} (0 ≤ offset &lt; n) among n seeds cut into {@code g} groups. */
    public static int group(long offset, long n, int g) {
        if (offset < 0 || offset >= n) {
            throw new IllegalArgumentException("seed offset " + offset + ", expected 0 <= offset < " + n);
        }
        return (int) (offset * g / n);
    }

    /** Above this dimension {@link #fidAndLeaveOneOut} linearises by default: ten exact FIDs cost too much there. */
    public static final int EXACT_MAX_DIM = 512;

    /** How the leave-one-group-out FIDs are computed. */
    public enum Method {
        /** One full FID per group left out. */
        EXACT,
        /** From the full FID's one decomposition ({@link #leaveOneOutLinear}). */
        LINEAR;

        /** EXACT up to {@link #EXACT_MAX_DIM}, LINEAR above. */
        public static Method forDim(int dim) {
            return dim <= EXACT_MAX_DIM ? EXACT : LINEAR;
        }
    }

    /**
     * The FID of all groups together, then the G leave-one-group-out FIDs (none when G = 1).
     *
     * @param groups the sums of each group, in group order, all centred at the same shift
     */
    public static double[] fidAndLeaveOneOut(FeatureStats[] groups, FrechetDistance.To reference, Method method) {
        if (groups.length >= 2 && method == Method.LINEAR) {
            return leaveOneOutLinear(groups, reference);
        }
        FeatureStats all = new FeatureStats(groups[0].shift());
        for (FeatureStats g : groups) {
            all.merge(g);
        }
        double fid = reference.from(Gaussian.of(all));
        double[] loo = groups.length >= 2 ? leaveOneOut(groups, reference) : new double[0];
        double[] out = new double[loo.length + 1];
        out[0] = fid;
        System.arraycopy(loo, 0, out, 1, loo.length);
        return out;
    }

    /**
     * The leave-one-group-out FIDs θ₍g₎.
     *
     * @param groups the sums of each group (none empty), in group order
     */
    public static double[] leaveOneOut(FeatureStats[] groups, Gaussian reference) {
        return leaveOneOut(groups, new FrechetDistance.To(reference));
    }

    /** As {@link #leaveOneOut(FeatureStats[], Gaussian)}, with the reference's decomposition done already. */
    public static double[] leaveOneOut(FeatureStats[] groups, FrechetDistance.To reference) {
        int g = groups.length;
        if (g < 2) {
            throw new IllegalArgumentException("jackknife: " + g + " group(s), expected at least 2");
        }
        double[] out = new double[g];
        // Each value costs an eigendecomposition (about 10 s at D = 2048): spread them over the cores.
        java.util.stream.IntStream.range(0, g).parallel().forEach(left -> {
            FeatureStats rest = new FeatureStats(groups[0].shift());
            for (int k = 0; k < g; k++) {
                if (k != left) {
                    rest.merge(groups[k]);
                }
            }
            out[left] = reference.from(Gaussian.of(rest));
        });
        return out;
    }

    /**
     * The leave-one-group-out FIDs to first order from one decomposition: with T = tr sqrt(Σ_r^½ Σ Σ_r^½) and
     * its gradient G at the full Σ ({@link FrechetDistance.Linearised}),
     * <pre>
     *   θ₍g₎ ≈ ‖μ₍g₎ − μ_r‖² + tr Σ₍g₎ + tr Σ_r − 2·(T + ⟨G, Σ₍g₎ − Σ⟩)
     * </pre>
     * where μ₍g₎ and Σ₍g₎ are exact (from the sums without group g, O(D²) each). Only the square-root term is
     * linearised; leaving out 1/G of the seeds moves Σ by O(1/√n), so the error is second order in that.
     * docs/statistics.md compares it with the exact jackknife.
     *
     * @param groups the sums of each group (none empty), in group order, all centred at the same shift
     * @return the full FID first, then the G leave-one-out values
     */
    public static double[] leaveOneOutLinear(FeatureStats[] groups, FrechetDistance.To reference) {
        int g = groups.length;
        if (g < 2) {
            throw new IllegalArgumentException("jackknife: " + g + " group(s), expected at least 2");
        }
        int d = groups[0].dim();
        FeatureStats all = new FeatureStats(groups[0].shift());
        for (FeatureStats group : groups) {
            all.merge(group);
        }
        FrechetDistance.Linearised lin = reference.linearised(Gaussian.of(all));
        double[] grad = lin.gradient();
        double[] shift = all.shift();
        double[] s = all.centredSum();
        long n = all.count();
        double gS = all.innerCentred(grad);
        double trS = all.traceCentred();
        double gSigma = innerCovariance(gS, grad, s, n);
        double[] refMean = reference.mean();
        double[] out = new double[g + 1];
        out[0] = lin.fid();
        for (int k = 0; k < g; k++) {
            FeatureStats left = groups[k];
            long m = n - left.count();
            double[] sg = left.centredSum();
            double[] rest = new double[d];
            for (int i = 0; i < d; i++) {
                rest[i] = s[i] - sg[i];
            }
            double gSRest = gS - left.innerCentred(grad);
            double gSigmaRest = innerCovariance(gSRest, grad, rest, m);
            double meanTerm = 0;
            double deltaSq = 0;
            for (int i = 0; i < d; i++) {
                double delta = rest[i] / m;
                double diff = shift[i] + delta - refMean[i];
                meanTerm += diff * diff;
                deltaSq += delta * delta;
            }
            double traceRest = (trS - left.traceCentred() - m * deltaSq) / (m - 1);
            out[k + 1] = meanTerm + traceRest + reference.trace()
                    - 2 * (lin.traceSqrt() + gSigmaRest - gSigma);
        }
        return out;
    }

    /** ⟨G, Σ⟩ for Σ = (S − m·δδᵀ)/(m − 1), δ = s/m, given ⟨G, S⟩. */
    private static double innerCovariance(double gS, double[] grad, double[] s, long m) {
        int d = s.length;
        double quad = 0;
        for (int i = 0; i < d; i++) {
            double di = s[i] / m;
            double row = 0;
            for (int j = 0; j < d; j++) {
                row += grad[i * d + j] * (s[j] / m);
            }
            quad += di * row;
        }
        return (gS - m * quad) / (m - 1);
    }

    /** SE = √((G − 1)/G · Σ (θ₍g₎ − θ̄)²) of leave-one-out values; NaN for fewer than 2. */
    public static double standardError(double[] leaveOneOut) {
        int g = leaveOneOut.length;
        if (g < 2) {
            return Double.NaN;
        }
        double mean = 0;
        for (double v : leaveOneOut) {
            mean += v;
        }
        mean /= g;
        double ss = 0;
        for (double v : leaveOneOut) {
            ss += (v - mean) * (v - mean);
        }
        return Math.sqrt((g - 1.0) / g * ss);
    }

    /** The SE of a paired difference A − B from both configs' leave-one-out values over the same groups. */
    public static double differenceStandardError(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("jackknife: " + a.length + " and " + b.length
                    + " groups, expected the same seed groups for both configs");
        }
        double[] d = new double[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = a[i] - b[i];
        }
        return standardError(d);
    }
}
