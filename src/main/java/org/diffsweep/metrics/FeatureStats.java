package org.diffsweep.metrics;

import java.io.Serializable;
import java.util.Arrays;
import org.diffsweep.linalg.Lapack;

/**
 * Mergeable float64 sums of feature vectors of dimension D (docs/statistics.md), kept centred at a fixed shift
 * c: the count n, Σ(f − c) (D values) and Σ(f − c)(f − c)ᵀ (D×D, row-major). With c near the mean (a pilot
 * mean) the covariance (Σ(f−c)(f−c)ᵀ − n·δδᵀ)/(n − 1), δ = μ − c, loses nothing to cancellation however far
 * the features sit from 0; with c = 0 these are the plain sums (n, Σf, Σffᵀ).
 *
 * <p>Batches of at least {@link #BLAS_MIN_ROWS} rows go through a BLAS rank-k update (SYRK); smaller ones
 * through a plain loop. The result depends only on the sequence of batches, never on threads. The adders
 * update only the upper triangle of the D×D sum; every reader first mirrors it onto the lower triangle, so
 * what leaves this class is always full and symmetric. Not thread-safe.
 */
public final class FeatureStats implements Serializable {

    private static final long serialVersionUID = 2L;

    /** Batches this large or larger go through BLAS; below it a JNI call costs more than it saves. */
    public static final int BLAS_MIN_ROWS = 16;

    private final int dim;
    private long n;
    private final double[] shift;
    private final double[] sum;
    private final double[] sumOuter;

    /** Empty statistics for vectors of {@code dim} values, not shifted (c = 0). */
    public FeatureStats(int dim) {
        this(new double[checkDim(dim)]);
    }

    /** Empty statistics centred at {@code shift} (D values, copied): a pilot mean of the same features. */
    public FeatureStats(double[] shift) {
        if (shift == null || shift.length == 0) {
            throw new IllegalArgumentException("shift must hold D > 0 values");
        }
        for (int i = 0; i < shift.length; i++) {
            if (!Double.isFinite(shift[i])) {
                throw new IllegalArgumentException("shift[" + i + "] is not finite: " + shift[i]);
            }
        }
        this.dim = shift.length;
        this.shift = shift.clone();
        this.sum = new double[dim];
        this.sumOuter = new double[Math.multiplyExact(dim, dim)];
    }

    /**
     * Rebuilds statistics from raw sums, as returned by {@link #count()}, {@link #sum()} and
     * {@link #sumOuter()}; the arrays are copied.
     */
    public FeatureStats(long n, double[] sum, double[] sumOuter) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        if (sum == null || sum.length == 0) {
            throw new IllegalArgumentException("sum must hold D > 0 values");
        }
        int d = sum.length;
        if (sumOuter == null || sumOuter.length != (long) d * d) {
            throw new IllegalArgumentException("sumOuter must hold D*D = " + ((long) d * d) + " values for D = "
                    + d + ", got " + (sumOuter == null ? "null" : sumOuter.length));
        }
        this.dim = d;
        this.n = n;
        this.shift = new double[d];
        this.sum = sum.clone();
        this.sumOuter = sumOuter.clone();
    }

    private static int checkDim(int dim) {
        if (dim <= 0) {
            throw new IllegalArgumentException("dim must be > 0, got " + dim);
        }
        return dim;
    }

    /** Dimension D of the vectors. */
    public int dim() {
        return dim;
    }

    /** Number of vectors added. */
    public long count() {
        return n;
    }

    /** The shift c the sums are centred at, a copy. */
    public double[] shift() {
        return shift.clone();
    }

    /** Adds one vector of D values. */
    public void add(float[] f) {
        checkLength(f.length, 1);
        double[] row = new double[dim];
        for (int i = 0; i < dim; i++) {
            row[i] = f[i];
        }
        addBatch(row, 1);
    }

    /** Adds one vector of D values. */
    public void add(double[] f) {
        checkLength(f.length, 1);
        addBatch(f, 1);
    }

    /** Adds {@code batch} vectors stored row-major in {@code rows} ({@code batch * D} values, not modified). */
    public void addBatch(double[] rows, int batch) {
        if (batch < 0) {
            throw new IllegalArgumentException("batch must be >= 0, got " + batch);
        }
        checkLength(rows.length, batch);
        double[] centred = rows;
        if (!isZero(shift)) {
            centred = new double[rows.length];
            for (int r = 0; r < batch; r++) {
                int off = r * dim;
                for (int i = 0; i < dim; i++) {
                    centred[off + i] = rows[off + i] - shift[i];
                }
            }
        }
        addCentred(centred, batch);
    }

    /**
     * Adds {@code batch} vectors already centred at this shift (row-major, {@code batch * D} values): the
     * kernel the fid stage feeds from its own staging buffer, without another copy.
     */
    public void addCentred(double[] centred, int batch) {
        checkLength(centred.length, batch);
        for (int r = 0; r < batch; r++) {
            int off = r * dim;
            for (int i = 0; i < dim; i++) {
                sum[i] += centred[off + i];
            }
        }
        if (batch >= BLAS_MIN_ROWS) {
            try (Lapack.Matrix c = Lapack.Matrix.of(sumOuter, dim, dim);
                 Lapack.Matrix a = Lapack.Matrix.of(centred, batch, dim)) {
                Lapack.syrkUpper(c, a, batch);
                c.copyTo(sumOuter);
            }
        } else {
            // Row i of the sum stays in cache while every vector of the batch updates it.
            for (int i = 0; i < dim; i++) {
                int outRow = i * dim;
                for (int r = 0; r < batch; r++) {
                    int off = r * dim;
                    double fi = centred[off + i];
                    for (int j = i; j < dim; j++) {
                        sumOuter[outRow + j] += fi * centred[off + j];
                    }
                }
            }
        }
        n += batch;
    }

    /**
     * A native-memory accumulator for many rows: rows are centred at this shift into a staging buffer of
     * {@code chunk} rows, each full buffer is one SYRK into a native D×D sum, and {@link Accumulator#close()}
     * adds that sum into this once. The chunk boundaries fall every {@code chunk} rows from the first, so the
     * bits depend only on the rows and {@code chunk}. Use one at a time per FeatureStats.
     */
    public Accumulator accumulator(int chunk) {
        return new Accumulator(new Workspace(dim, chunk), true);
    }

    /**
     * As {@link #accumulator(int)}, working in {@code workspace} (of this dimension), which it leaves open for the
     * next accumulator: the same bits as {@link #accumulator(int)} with the workspace's chunk.
     */
    public Accumulator accumulator(Workspace workspace) {
        if (workspace.dim != dim) {
            throw new IllegalArgumentException("workspace of dim " + workspace.dim + " for stats of dim " + dim);
        }
        return new Accumulator(workspace, false);
    }

    /**
     * The buffers of an accumulator (a native D×D sum, {@code chunk} native staging rows, a D×D heap copy), kept
     * for the next accumulator so that a reduce over many seed groups allocates and touches them once. Nothing in
     * it is zeroed: the first SYRK of each accumulator overwrites the sum, and only staged rows are read. One
     * accumulator at a time; not thread-safe.
     */
    public static final class Workspace implements AutoCloseable {
        private final int dim;
        private final int chunk;
        private final Lapack.Matrix c;
        private final Lapack.Matrix staging;
        private final double[] row;
        private double[] total;

        public Workspace(int dim, int chunk) {
            if (chunk < 1) {
                throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
            }
            this.dim = checkDim(dim);
            this.chunk = chunk;
            this.c = Lapack.Matrix.uninitialised(dim, dim);
            Lapack.Matrix s = null;
            try {
                s = Lapack.Matrix.uninitialised(chunk, dim);
            } finally {
                if (s == null) {
                    c.close();
                }
            }
            this.staging = s;
            this.row = new double[dim];
        }

        /** Rows per SYRK. */
        public int chunk() {
            return chunk;
        }

        @Override
        public void close() {
            c.close();
            staging.close();
        }
    }

    /** See {@link #accumulator(int)}. */
    public final class Accumulator implements AutoCloseable {
        private final Workspace w;
        private final boolean owned;
        private int staged;
        private long added;
        private boolean written;
        private final double[] sums;
        private boolean closed;

        private Accumulator(Workspace workspace, boolean owned) {
            this.w = workspace;
            this.owned = owned;
            this.sums = new double[dim];
        }

        /** Adds the D values at {@code values[from…]}. */
        public void add(float[] values, int from) {
            double[] row = w.row;
            for (int i = 0; i < dim; i++) {
                double v = values[from + i] - shift[i];
                row[i] = v;
                sums[i] += v;
            }
            w.staging.put((long) staged * dim, row, 0, dim);
            added++;
            if (++staged == w.chunk) {
                flush();
            }
        }

        private void flush() {
            if (staged > 0) {
                // The first SYRK overwrites the sum (β = 0): the same bits as adding to zeros.
                Lapack.syrkUpper(w.c, w.staging, staged, written);
                written = true;
                staged = 0;
            }
        }

        /** Flushes the staged rows, adds everything into the enclosing FeatureStats and frees native memory. */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                flush();
                if (written) {
                    if (w.total == null) {
                        w.total = new double[dim * dim];
                    }
                    double[] total = w.total;
                    w.c.copyTo(total);
                    for (int i = 0; i < dim; i++) {
                        for (int j = i; j < dim; j++) {
                            sumOuter[i * dim + j] += total[i * dim + j];
                        }
                    }
                }
                for (int i = 0; i < dim; i++) {
                    sum[i] += sums[i];
                }
                n += added;
            } finally {
                if (owned) {
                    w.close();
                }
            }
        }
    }

    /** Adds {@code other}, centred at the same shift, into this and returns this. */
    public FeatureStats merge(FeatureStats other) {
        if (other.dim != dim) {
            throw new IllegalArgumentException("cannot merge stats of dim " + other.dim + " into stats of dim " + dim);
        }
        if (!Arrays.equals(other.shift, shift)) {
            throw new IllegalArgumentException("cannot merge stats centred at different shifts");
        }
        for (int i = 0; i < dim; i++) {
            sum[i] += other.sum[i];
            for (int j = i; j < dim; j++) {
                sumOuter[i * dim + j] += other.sumOuter[i * dim + j];
            }
        }
        n += other.n;
        return this;
    }

    /** Σf, a copy of D values. */
    public double[] sum() {
        double[] s = sum.clone();
        for (int i = 0; i < dim; i++) {
            s[i] += n * shift[i];
        }
        return s;
    }

    /** Σffᵀ, a full symmetric D×D copy, row-major. */
    public double[] sumOuter() {
        mirrorUpper();
        double[] s = sumOuter.clone();
        if (!isZero(shift)) {
            // Σffᵀ = Σ(f−c)(f−c)ᵀ + c·sᵀ + s·cᵀ + n·ccᵀ with s = Σ(f−c)
            for (int i = 0; i < dim; i++) {
                for (int j = 0; j < dim; j++) {
                    s[i * dim + j] += shift[i] * sum[j] + sum[i] * shift[j] + n * shift[i] * shift[j];
                }
            }
        }
        return s;
    }

    /** Σ(f − c), a copy: the centred first sum. */
    public double[] centredSum() {
        return sum.clone();
    }

    /** Σ(f − c)(f − c)ᵀ, a full symmetric D×D copy: the centred second sum. */
    public double[] centredSumOuter() {
        mirrorUpper();
        return sumOuter.clone();
    }

    /** ⟨G, Σ(f−c)(f−c)ᵀ⟩ = Σ_ij G_ij S_ij for a symmetric D×D {@code g}, read from the upper triangles. */
    public double innerCentred(double[] g) {
        checkLength(g.length, dim);
        double diagonal = 0;
        double off = 0;
        for (int i = 0; i < dim; i++) {
            int row = i * dim;
            diagonal += g[row + i] * sumOuter[row + i];
            for (int j = i + 1; j < dim; j++) {
                off += g[row + j] * sumOuter[row + j];
            }
        }
        return diagonal + 2 * off;
    }

    /** tr Σ(f−c)(f−c)ᵀ. */
    public double traceCentred() {
        double t = 0;
        for (int i = 0; i < dim; i++) {
            t += sumOuter[i * dim + i];
        }
        return t;
    }

    /** μ = Σf / n. */
    public double[] mean() {
        if (n < 1) {
            throw new IllegalStateException("mean needs at least 1 vector, have " + n);
        }
        double[] mu = new double[dim];
        for (int i = 0; i < dim; i++) {
            mu[i] = shift[i] + sum[i] / n;
        }
        return mu;
    }

    /** Unbiased covariance Σ = (Σ(f−c)(f−c)ᵀ − n·δδᵀ) / (n − 1), δ = μ − c, D×D row-major. */
    public double[] covariance() {
        if (n < 2) {
            throw new IllegalStateException("covariance needs at least 2 vectors, have " + n);
        }
        double[] delta = new double[dim];
        for (int i = 0; i < dim; i++) {
            delta[i] = sum[i] / n;
        }
        double[] cov = new double[dim * dim];
        double scale = 1.0 / (n - 1);
        for (int i = 0; i < dim; i++) {
            for (int j = i; j < dim; j++) {
                double c = (sumOuter[i * dim + j] - n * delta[i] * delta[j]) * scale;
                cov[i * dim + j] = c;
                cov[j * dim + i] = c;
            }
        }
        return cov;
    }

    private void mirrorUpper() {
        for (int i = 0; i < dim; i++) {
            for (int j = i + 1; j < dim; j++) {
                sumOuter[j * dim + i] = sumOuter[i * dim + j];
            }
        }
    }

    private static boolean isZero(double[] v) {
        for (double x : v) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private void checkLength(int length, int batch) {
        if (length != (long) batch * dim) {
            throw new IllegalArgumentException("expected " + batch + " x " + dim + " = " + ((long) batch * dim)
                    + " values, got " + length);
        }
    }
}
