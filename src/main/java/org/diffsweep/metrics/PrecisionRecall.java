package org.diffsweep.metrics;

import java.util.Arrays;
import org.diffsweep.linalg.Lapack;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) and density and coverage (Naeem et al. 2020;
 * docs/metrics.md). Each set's manifold is the union of
 * balls around its points, each ball's radius the distance to that point's k-th nearest neighbour within its own
 * set. Precision is the fraction of generated points inside the real manifold; recall the fraction of real points
 * inside the generated manifold. The roles are not symmetric: {@link #precision} takes the real set's radii, never
 * the generated set's.
 *
 * <p>Everything is built from tiles: the squared distances between a block of query rows and a block of reference
 * rows (one BLAS product), reduced per query row to a mergeable summary (the k smallest distances, for radii; the
 * smallest distance minus radius, for membership). Tiles of any size, merged in any order, give the same result, so
 * the Spark job distributes the 50,000 × 50,000 pairs as blocks.
 *
 * <p><b>Standard errors over draws of the seeds</b> come from the delete-a-group jackknife over FID's contiguous seed
 * groups of the generated rows ({@link JackknifeFid#group}; the real subsample held fixed), computed exactly in the
 * same tile passes ({@link #of(double[], int, double[], int, int, int, int[], int)}). Leaving group g out of the
 * generated subsample, precision₍g₎ is the fraction of the remaining generated rows inside the (unchanged) real
 * manifold. Recall₍g₎ needs the generated manifold without group g, whose radii grow where a k-th neighbour was in
 * g: each generated row keeps its k + 1 smallest distances to each group separately, so its radius without any one
 * group is a merge of the others' lists; each real row then keeps, per left-out group, whether the ball of any
 * remaining generated row (with those radii) holds it.
 *
 * <p><b>Density and coverage</b> (Naeem et al. 2020) come from the same real radii and the same real × generated
 * distances, in the same pass: density = (1/(kM)) Σ_j Σ_i 1[Y_j ∈ B(X_i, r_i)], the mean number of real balls
 * holding a generated row over k; coverage = (1/N) Σ_i 1[∃ j: Y_j ∈ B(X_i, r_i)], the fraction of real balls that
 * hold at least one generated row. Their jackknife drops group g's generated rows: density₍g₎ drops their ball
 * counts, coverage₍g₎ the real balls that only group g's rows were in.
 *
 * <p><b>Balls</b>: {@link Ball#CLOSED} (d ≤ r, the default) or {@link Ball#OPEN} (d &lt; r, clovaai's prdc). They
 * differ only for a point at exactly a ball's radius: a generated sample equal to a real one, or features on a
 * lattice.
 */
public final class PrecisionRecall {

    private PrecisionRecall() {
    }

    /**
     * Precision, recall, density and coverage, with the k and the set sizes they were measured at, and their
     * jackknife over seed groups (SEs NaN and leave-out lists empty when not computed or with fewer than 2 groups).
     */
    public record Result(double precision, double recall, int k, long nReal, long nGenerated, double precisionSe,
                         double recallSe, java.util.List<Double> precisionLeaveOut, java.util.List<Double> recallLeaveOut,
                         double density, double coverage, double densitySe, double coverageSe,
                         java.util.List<Double> densityLeaveOut, java.util.List<Double> coverageLeaveOut)
            implements java.io.Serializable {

        /** Precision and recall alone, without a jackknife (density and coverage NaN). */
        public Result(double precision, double recall, int k, long nReal, long nGenerated) {
            this(precision, recall, k, nReal, nGenerated, Double.NaN, Double.NaN, java.util.List.of(),
                    java.util.List.of(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, java.util.List.of(),
                    java.util.List.of());
        }
    }

    /**
     * Squared Euclidean distances between rows of {@code q} (nq×D) and rows of {@code r} (nr×D), nq×nr row-major:
     * ‖q‖² + ‖r‖² − 2 q·r, clamped at 0.
     */
    public static double[] squaredDistances(double[] q, int nq, double[] r, int nr, int dim) {
        double[] g = Lapack.multiply(q, false, r, true, nq, dim, nr);
        double[] qq = squaredNorms(q, nq, dim);
        double[] rr = squaredNorms(r, nr, dim);
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nr; j++) {
                double d = qq[i] + rr[j] - 2 * g[i * nr + j];
                g[i * nr + j] = d > 0 ? d : 0;
            }
        }
        return g;
    }

    static double[] squaredNorms(double[] x, int n, int dim) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int d = 0; d < dim; d++) {
                double v = x[i * dim + d];
                s += v * v;
            }
            out[i] = s;
        }
        return out;
    }

    /**
     * Per query row, the {@code keep} smallest squared distances of a tile, ascending (nq × keep). A query row that
     * is also a reference row (radii within one set) sees itself at distance 0, so radii keep k + 1 and take the
     * last.
     */
    public static double[] smallest(double[] tile, int nq, int nr, int keep) {
        double[] out = new double[nq * keep];
        Arrays.fill(out, Double.POSITIVE_INFINITY);
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nr; j++) {
                insert(out, i * keep, keep, tile[i * nr + j]);
            }
        }
        return out;
    }

    /** Merges two per-row lists of the {@code keep} smallest values (each ascending) into one. */
    public static double[] mergeSmallest(double[] a, double[] b, int keep) {
        double[] out = a.clone();
        int rows = a.length / keep;
        for (int i = 0; i < rows; i++) {
            for (int t = 0; t < keep; t++) {
                double v = b[i * keep + t];
                if (v >= out[i * keep + keep - 1]) {
                    break;
                }
                insert(out, i * keep, keep, v);
            }
        }
        return out;
    }

    private static void insert(double[] list, int from, int keep, double v) {
        int last = from + keep - 1;
        if (!(v < list[last])) {
            return;
        }
        int p = last;
        while (p > from && list[p - 1] > v) {
            list[p] = list[p - 1];
            p--;
        }
        list[p] = v;
    }

    /**
     * The radii² of a set from its per-row k + 1 smallest squared distances to the whole set (itself included, at
     * distance 0): the last of each row.
     */
    public static double[] radii(double[] smallestKPlus1, int k) {
        int rows = smallestKPlus1.length / (k + 1);
        double[] out = new double[rows];
        for (int i = 0; i < rows; i++) {
            out[i] = smallestKPlus1[i * (k + 1) + k];
        }
        return out;
    }

    /**
     * Per query row of a tile, min over the tile's reference rows j of (d²(q, r_j) − radius_j²): the row is inside
     * the reference manifold when the minimum over all tiles is ≤ 0.
     */
    public static double[] margin(double[] tile, int nq, int nr, double[] radii2, int radiiFrom) {
        double[] out = new double[nq];
        Arrays.fill(out, Double.POSITIVE_INFINITY);
        for (int i = 0; i < nq; i++) {
            double m = Double.POSITIVE_INFINITY;
            for (int j = 0; j < nr; j++) {
                double v = tile[i * nr + j] - radii2[radiiFrom + j];
                if (v < m) {
                    m = v;
                }
            }
            out[i] = m;
        }
        return out;
    }

    /** The fraction of rows whose margin is ≤ 0. */
    public static double inside(double[] margins) {
        long n = 0;
        for (double m : margins) {
            if (m <= 0) {
                n++;
            }
        }
        return (double) n / margins.length;
    }

    /** Rows per tile: the distances are computed {@value}×{@value} at a time (8 MiB), whatever the set sizes. */
    public static final int TILE = 1024;

    /** The rows of an n×D matrix cut into tiles of {@link #TILE} rows. */
    private static double[][] tiles(double[] x, int n, int dim) {
        double[][] out = new double[(n + TILE - 1) / TILE][];
        for (int t = 0; t < out.length; t++) {
            int from = t * TILE;
            out[t] = Arrays.copyOfRange(x, from * dim, Math.min(n, from + TILE) * dim);
        }
        return out;
    }

    private static int rowsOf(double[] tile, int dim) {
        return tile.length / dim;
    }

    /** Refuses a k the set cannot give. */
    public static void check(int k, long n, String role) {
        if (k < 1 || k >= n) {
            throw new IllegalArgumentException("precision/recall k = " + k + " with " + role + " n = " + n
                    + ", expected 1 <= k < n");
        }
    }

    /**
     * The k-NN radii² of an in-memory set (rows n×D), tile by tile: per query tile, the k + 1 smallest distances of
     * each reference tile merged into one list.
     */
    public static double[] radii(double[] x, int n, int dim, int k) {
        check(k, n, "the set's");
        double[][] t = tiles(x, n, dim);
        double[] out = new double[n];
        for (int qi = 0; qi < t.length; qi++) {
            int nq = rowsOf(t[qi], dim);
            double[] merged = null;
            for (double[] r : t) {
                int nr = rowsOf(r, dim);
                double[] part = smallest(squaredDistances(t[qi], nq, r, nr, dim), nq, nr, k + 1);
                merged = merged == null ? part : mergeSmallest(merged, part, k + 1);
            }
            System.arraycopy(radii(merged, k), 0, out, qi * TILE, nq);
        }
        return out;
    }

    /**
     * The fraction of query rows inside the manifold of the reference rows (their radii²), tile by tile.
     */
    public static double inside(double[] query, int nq, double[] reference, int nr, double[] radii2, int dim) {
        double[][] rt = tiles(reference, nr, dim);
        double[][] qt = tiles(query, nq, dim);
        long in = 0;
        for (double[] q : qt) {
            int bq = rowsOf(q, dim);
            double[] m = new double[bq];
            Arrays.fill(m, Double.POSITIVE_INFINITY);
            for (int ri = 0; ri < rt.length; ri++) {
                int br = rowsOf(rt[ri], dim);
                double[] part = margin(squaredDistances(q, bq, rt[ri], br, dim), bq, br, radii2, ri * TILE);
                for (int i = 0; i < bq; i++) {
                    m[i] = Math.min(m[i], part[i]);
                }
            }
            for (double v : m) {
                if (v <= 0) {
                    in++;
                }
            }
        }
        return (double) in / nq;
    }

    /** Precision: the fraction of generated rows inside the real manifold (real radii). */
    public static double precision(double[] real, int nReal, double[] realRadii2, double[] generated, int nGen,
                                   int dim) {
        return inside(generated, nGen, real, nReal, realRadii2, dim);
    }

    /** Whether a point at exactly the radius is inside a ball. */
    public enum Ball {
        /**
         * d ≤ radius: the real manifold holds the real points that define it (Kynkäänniemi et al.'s reference code,
         * and this project's default).
         */
        CLOSED,
        /** d &lt; radius: clovaai's prdc ({@code compute_prdc}) compares every distance with its radius by {@code <}. */
        OPEN
    }

    private static boolean within(double d2, double radius2, boolean open) {
        return open ? d2 < radius2 : d2 <= radius2;
    }

    /** Precision, recall, density and coverage of two in-memory sets, tile by tile (closed balls). */
    public static Result of(double[] real, int nReal, double[] generated, int nGen, int dim, int k) {
        return of(real, nReal, generated, nGen, dim, k, new int[nGen], 1, Ball.CLOSED);
    }

    /** The rows a set of n contributes to precision and recall: {@code samples} of them, at most n. */
    public static int sampleSize(long n, int samples) {
        return (int) Math.min(n, samples);
    }

    /**
     * The seeded subsample of a set (role 0 real, 1 generated): {@link #sampleSize} distinct rows, ascending, from
     * a stream keyed by (seed, role), apart from every KID subset's.
     */
    public static int[] sample(long n, int samples, long seed, int role) {
        return Kid.subset(n, sampleSize(n, samples), seed, -1, role);
    }

    /**
     * Precision and recall of two sets of float features (as the sweep stores them) on a seeded subsample of at
     * most {@code samples} rows of each; the result's n are the subsample sizes.
     */
    public static Result of(float[] real, long nReal, float[] generated, long nGen, int dim, int k, int samples,
                            long seed) {
        int sr = sampleSize(nReal, samples);
        int sg = sampleSize(nGen, samples);
        check(k, sr, "real");
        check(k, sg, "generated");
        double[] x = Kid.rows(real, sample(nReal, samples, seed, 0), dim);
        int[] yi = sample(nGen, samples, seed, 1);
        double[] y = Kid.rows(generated, yi, dim);
        int groups = JackknifeFid.groups(nGen);
        return of(x, sr, y, sg, dim, k, Kid.groupsOf(yi, nGen, groups), groups);
    }

    /** {@link #of(double[], int, double[], int, int, int, int[], int, Ball)} with closed balls. */
    public static Result of(double[] real, int nReal, double[] generated, int nGen, int dim, int k, int[] genGroup,
                            int groups) {
        return of(real, nReal, generated, nGen, dim, k, genGroup, groups, Ball.CLOSED);
    }

    /**
     * Precision, recall, density and coverage of two in-memory sets, and their delete-a-group jackknife over the
     * generated rows' groups ({@code genGroup[i]} in [0, groups); one group: no jackknife). A group whose removal
     * leaves k or fewer generated rows makes the SEs NaN. All four come from the same radii and the same tiles of
     * real × generated distances: one pass over them decides, for every pair, whether the generated row is in the
     * real row's ball (precision, density, coverage) and whether the real row is in the generated row's ball, with
     * and without each group (recall).
     */
    public static Result of(double[] real, int nReal, double[] generated, int nGen, int dim, int k, int[] genGroup,
                            int groups, Ball ball) {
        check(k, nReal, "real");
        check(k, nGen, "generated");
        if (genGroup.length != nGen || groups < 1) {
            throw new IllegalArgumentException(genGroup.length + " group labels for " + nGen + " generated rows in "
                    + groups + " groups, expected one label per row and at least one group");
        }
        boolean jack = groups >= 2;
        boolean open = ball == Ball.OPEN;
        int[] count = new int[groups];
        for (int g : genGroup) {
            count[g]++;
        }
        double[] rr = radii(real, nReal, dim, k);
        double[][] gt = tiles(generated, nGen, dim);
        double[][] rt = tiles(real, nReal, dim);
        // Generated radii: per row, the k + 1 smallest distances to each group's rows, merged as needed.
        int keep = k + 1;
        double[] rg = new double[nGen];
        double[][] rgOut = jack ? new double[groups][nGen] : null; // radius² of row i without group g (i not in g)
        for (int qi = 0; qi < gt.length; qi++) {
            int nq = rowsOf(gt[qi], dim);
            double[] perGroup = jack ? new double[nq * groups * keep] : null;
            if (jack) {
                Arrays.fill(perGroup, Double.POSITIVE_INFINITY);
            }
            double[] merged = null;
            for (int ri = 0; ri < gt.length; ri++) {
                int nr = rowsOf(gt[ri], dim);
                double[] tile = squaredDistances(gt[qi], nq, gt[ri], nr, dim);
                double[] part = smallest(tile, nq, nr, keep);
                merged = merged == null ? part : mergeSmallest(merged, part, keep);
                if (jack) {
                    for (int i = 0; i < nq; i++) {
                        for (int j = 0; j < nr; j++) {
                            insert(perGroup, (i * groups + genGroup[ri * TILE + j]) * keep, keep, tile[i * nr + j]);
                        }
                    }
                }
            }
            double[] full = radii(merged, k);
            double[] others = new double[keep];
            for (int i = 0; i < nq; i++) {
                int row = qi * TILE + i;
                rg[row] = full[i];
                for (int g = 0; jack && g < groups; g++) {
                    if (g == genGroup[row]) {
                        continue;
                    }
                    Arrays.fill(others, Double.POSITIVE_INFINITY);
                    for (int h = 0; h < groups; h++) {
                        if (h != g) {
                            for (int t = 0; t < keep; t++) {
                                double v = perGroup[(i * groups + h) * keep + t];
                                if (!(v < others[keep - 1])) {
                                    break;
                                }
                                insert(others, 0, keep, v);
                            }
                        }
                    }
                    rgOut[g][row] = others[keep - 1];
                }
            }
        }
        // One pass over the real × generated tiles.
        int[] inBalls = new int[nGen]; // real balls holding generated row i
        boolean[] coveredBy = new boolean[nReal * groups]; // real row j's ball holds a generated row of group g
        boolean[] recalled = new boolean[nReal];
        boolean[] recalledOut = jack ? new boolean[nReal * groups] : null; // ... by the generated set without g
        for (int qi = 0; qi < gt.length; qi++) {
            int bq = rowsOf(gt[qi], dim);
            for (int ri = 0; ri < rt.length; ri++) {
                int br = rowsOf(rt[ri], dim);
                double[] tile = squaredDistances(gt[qi], bq, rt[ri], br, dim);
                for (int i = 0; i < bq; i++) {
                    int gen = qi * TILE + i;
                    int own = genGroup[gen];
                    double radius = rg[gen];
                    for (int j = 0; j < br; j++) {
                        int rea = ri * TILE + j;
                        double d2 = tile[i * br + j];
                        if (within(d2, rr[rea], open)) {
                            inBalls[gen]++;
                            coveredBy[rea * groups + own] = true;
                        }
                        if (within(d2, radius, open)) {
                            recalled[rea] = true;
                        }
                        for (int g = 0; jack && g < groups; g++) {
                            if (g != own && within(d2, rgOut[g][gen], open)) {
                                recalledOut[rea * groups + g] = true;
                            }
                        }
                    }
                }
            }
        }
        long in = 0;
        long balls = 0;
        long[] inByGroup = new long[groups];
        long[] ballsByGroup = new long[groups];
        for (int i = 0; i < nGen; i++) {
            balls += inBalls[i];
            ballsByGroup[genGroup[i]] += inBalls[i];
            if (inBalls[i] > 0) {
                in++;
                inByGroup[genGroup[i]]++;
            }
        }
        long recalledN = 0;
        long covered = 0;
        long[] recalledOutN = new long[groups];
        long[] coveredOut = new long[groups];
        for (int j = 0; j < nReal; j++) {
            if (recalled[j]) {
                recalledN++;
            }
            int coveringGroups = 0;
            int coveringGroup = -1;
            for (int g = 0; g < groups; g++) {
                if (coveredBy[j * groups + g]) {
                    coveringGroups++;
                    coveringGroup = g;
                }
                if (jack && recalledOut[j * groups + g]) {
                    recalledOutN[g]++;
                }
            }
            if (coveringGroups > 0) {
                covered++;
                for (int g = 0; g < groups; g++) {
                    // without group g, row j stays covered unless g was its only covering group
                    if (coveringGroups > 1 || coveringGroup != g) {
                        coveredOut[g]++;
                    }
                }
            }
        }
        double precision = (double) in / nGen;
        double recall = (double) recalledN / nReal;
        double density = density(balls, nGen, k);
        double coverage = (double) covered / nReal;
        if (!jack) {
            return new Result(precision, recall, k, nReal, nGen, Double.NaN, Double.NaN, java.util.List.of(),
                    java.util.List.of(), density, coverage, Double.NaN, Double.NaN, java.util.List.of(),
                    java.util.List.of());
        }
        double[] pOut = new double[groups];
        double[] rOut = new double[groups];
        double[] dOut = new double[groups];
        double[] cOut = new double[groups];
        boolean defined = true;
        for (int g = 0; g < groups; g++) {
            defined &= nGen - count[g] > k;
            pOut[g] = (double) (in - inByGroup[g]) / (nGen - count[g]);
            rOut[g] = (double) recalledOutN[g] / nReal;
            dOut[g] = density(balls - ballsByGroup[g], nGen - count[g], k);
            cOut[g] = (double) coveredOut[g] / nReal;
        }
        if (!defined) {
            return new Result(precision, recall, k, nReal, nGen, Double.NaN, Double.NaN, java.util.List.of(),
                    java.util.List.of(), density, coverage, Double.NaN, Double.NaN, java.util.List.of(),
                    java.util.List.of());
        }
        return new Result(precision, recall, k, nReal, nGen, JackknifeFid.standardError(pOut),
                JackknifeFid.standardError(rOut), boxed(pOut), boxed(rOut), density, coverage,
                JackknifeFid.standardError(dOut), JackknifeFid.standardError(cOut), boxed(dOut), boxed(cOut));
    }

    /**
     * Density from the number of (generated row, real ball holding it) pairs over m generated rows: (1/k)·(pairs/m),
     * rounded in that order, as prdc's {@code (1/k) * (...).sum(axis=0).mean()} rounds it (so equal counts give
     * equal bits).
     */
    static double density(long pairs, long m, int k) {
        return (1.0 / k) * ((double) pairs / m);
    }

    private static java.util.List<Double> boxed(double[] v) {
        java.util.List<Double> out = new java.util.ArrayList<>(v.length);
        for (double x : v) {
            out.add(x);
        }
        return java.util.List.copyOf(out);
    }

    /** A paired difference A − B of precision or recall over the same seed groups, with its jackknife SE. */
    public static Kid.Difference difference(double a, java.util.List<Double> aOut, double b,
                                            java.util.List<Double> bOut) {
        double[] d = new double[aOut.size()];
        if (bOut.size() != d.length) {
            throw new IllegalArgumentException("jackknife: " + aOut.size() + " and " + bOut.size()
                    + " groups, expected the same seed groups for both configs");
        }
        for (int g = 0; g < d.length; g++) {
            d[g] = aOut.get(g) - bOut.get(g);
        }
        return new Kid.Difference(a - b, JackknifeFid.standardError(d));
    }

    /** Heap bytes precision and recall hold at {@code samples} rows a set and dimension D. */
    public static long heapBytes(int samples, int dim) {
        long tile = Math.min(TILE, samples);
        int groups = JackknifeFid.DEFAULT_GROUPS;
        // rows, radii, tiles; and the jackknife's radii without each group and per-group neighbour lists; then the
        // one-pass flags and counts (ball counts per generated row, per real row and group: covered, recalled)
        return 8L * (4L * samples * dim + 2 * samples + 3 * tile * tile + (long) groups * samples
                + tile * groups * 16L + tile * groups) + 4L * samples + 2L * groups * samples + samples;
    }
}
