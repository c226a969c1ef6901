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
            FeatureStats rest = new FeatureStats(groups[0].dim());
            for (int k = 0; k < g; k++) {
                if (k != left) {
                    rest.merge(groups[k]);
                }
            }
            out[left] = reference.from(Gaussian.of(rest));
        });
        return out;
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
