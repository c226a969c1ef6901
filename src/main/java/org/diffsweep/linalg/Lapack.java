package org.diffsweep.linalg;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.presets.openblas_nolapack;

/**
 * The few BLAS/LAPACK kernels the feature statistics and the Fréchet distance need, from OpenBLAS (its native
 * library ships inside the {@code org.bytedeco:openblas} jar, so nothing is installed on a node). Why
 * OpenBLAS, and the measurements behind it: docs/statistics.md.
 *
 * <p><b>Deterministic for any thread count.</b> OpenBLAS's own threading changes the last bits of a SYRK
 * with the thread count, so every BLAS call here runs on one thread, and the level-3 products are cut into
 * fixed {@value #TILE}×{@value #TILE} output tiles that a shared pool of {@link #parallelism()} threads
 * computes. The tiling is fixed, so the bits do not depend on how many threads (or concurrent callers) there
 * are; the pool bounds the cores all callers of a JVM use together.
 */
public final class Lapack {

    /** Output tile edge of the level-3 products. */
    public static final int TILE = 256;

    private static volatile boolean loaded;
    private static ExecutorService pool;
    private static int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors());

    private Lapack() {
    }

    private static void load() {
        if (loaded) {
            return;
        }
        synchronized (Lapack.class) {
            if (!loaded) {
                try {
                    Loader.load(openblas.class);
                    openblas_nolapack.blas_set_num_threads(1);
                } catch (UnsatisfiedLinkError | RuntimeException e) {
                    throw new IllegalStateException("OpenBLAS could not be loaded on " + System.getProperty("os.name")
                            + "/" + System.getProperty("os.arch") + " (" + e.getMessage() + "), expected the "
                            + "org.bytedeco:openblas native jar for this platform on the class path", e);
                }
                loaded = true;
            }
        }
    }

    /**
     * Loads OpenBLAS now (a few hundred milliseconds on a cold JVM), so that a caller can do it on a thread of its
     * own while other start-up work runs.
     */
    public static void preload() {
        load();
    }

    /** Sets how many threads compute the tiles of every product in this JVM (all callers together). */
    public static synchronized void parallelism(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + threads);
        }
        if (threads != parallelism && pool != null) {
            pool.shutdown();
            pool = null;
        }
        parallelism = threads;
    }

    /** The number of threads that compute product tiles. */
    public static synchronized int parallelism() {
        return parallelism;
    }

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newFixedThreadPool(parallelism, r -> {
                Thread t = new Thread(r, "diffsweep-blas");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /** A row-major matrix in native memory, freed by {@link #close()}. */
    public static final class Matrix implements AutoCloseable {
        private final DoublePointer data;
        private final int rows;
        private final int cols;

        /** A zero matrix. */
        public Matrix(int rows, int cols) {
            this(rows, cols, true);
        }

        private Matrix(int rows, int cols, boolean zero) {
            load();
            this.rows = rows;
            this.cols = cols;
            this.data = new DoublePointer(Math.multiplyExact((long) rows, (long) cols));
            if (zero) {
                data.fill(0);
            }
        }

        /**
         * A matrix whose values are undefined until written: for buffers that are always written before they are
         * read (a product's output, staging rows, a sum whose first update overwrites it), so that no time goes
         * to zeroing memory that is overwritten anyway.
         */
        public static Matrix uninitialised(int rows, int cols) {
            return new Matrix(rows, cols, false);
        }

        /** A copy of {@code values} (rows×cols, row-major). */
        public static Matrix of(double[] values, int rows, int cols) {
            check(values, (long) rows * cols, "matrix");
            Matrix m = new Matrix(rows, cols, false);
            m.data.put(values);
            return m;
        }

        public int rows() {
            return rows;
        }

        public int cols() {
            return cols;
        }

        /** Writes {@code count} values from {@code src[from…]} at flat position {@code at}. */
        public void put(long at, double[] src, int from, int count) {
            data.position(at).put(src, from, count);
            data.position(0);
        }

        /** The values, row-major, as a new array. */
        public double[] toArray() {
            double[] out = new double[Math.toIntExact((long) rows * cols)];
            data.position(0).get(out);
            return out;
        }

        /** Copies the values into {@code out} (rows×cols values). */
        public void copyTo(double[] out) {
            check(out, (long) rows * cols, "out");
            data.position(0).get(out);
        }

        private DoublePointer at(long offset) {
            return new DoublePointer(data).position(offset);
        }

        @Override
        public void close() {
            data.close();
        }
    }

    /**
     * The upper triangle of C (d×d) += Aᵀ A over the first {@code rows} rows of A (≥ rows × d): a rank-k
     * update (SYRK), by tiles. The lower triangle of C is left as it is.
     */
    public static void syrkUpper(Matrix c, Matrix a, int rows) {
        syrkUpper(c, a, rows, true);
    }

    /**
     * As {@link #syrkUpper(Matrix, Matrix, int)}, with {@code accumulate} false: the upper triangle of C = Aᵀ A,
     * C's previous values never read (so C may be {@link Matrix#uninitialised}); the same bits as adding to a
     * zero C. Nothing below the diagonal tiles is written.
     */
    public static void syrkUpper(Matrix c, Matrix a, int rows, boolean accumulate) {
        int d = c.rows;
        if (c.cols != d || a.cols != d || rows > a.rows || rows < 0) {
            throw new IllegalArgumentException("syrk: C " + c.rows + "x" + c.cols + ", A " + a.rows + "x" + a.cols
                    + ", rows " + rows);
        }
        if (rows == 0) {
            if (!accumulate) {
                c.data.position(0).fill(0);
            }
            return;
        }
        double beta = accumulate ? 1.0 : 0.0;
        List<Runnable> tiles = new ArrayList<>();
        for (int i0 = 0; i0 < d; i0 += TILE) {
            int bi = Math.min(TILE, d - i0);
            int fi = i0;
            tiles.add(() -> openblas.cblas_dsyrk(openblas.CblasRowMajor, openblas.CblasUpper, openblas.CblasTrans,
                    bi, rows, 1.0, a.at(fi), d, beta, c.at((long) fi * d + fi), d));
            for (int j0 = i0 + TILE; j0 < d; j0 += TILE) {
                int bj = Math.min(TILE, d - j0);
                int fj = j0;
                tiles.add(() -> openblas.cblas_dgemm(openblas.CblasRowMajor, openblas.CblasTrans, openblas.CblasNoTrans,
                        bi, bj, rows, 1.0, a.at(fi), d, a.at(fj), d, beta, c.at((long) fi * d + fj), d));
            }
        }
        run(tiles);
    }

    /** C = op(A) op(B), op(X) = X or Xᵀ, by tiles; op(A) is m×k and op(B) k×n. */
    public static Matrix multiply(Matrix a, boolean ta, Matrix b, boolean tb) {
        int m = ta ? a.cols : a.rows;
        int k = ta ? a.rows : a.cols;
        int kb = tb ? b.cols : b.rows;
        int n = tb ? b.rows : b.cols;
        if (k != kb) {
            throw new IllegalArgumentException("multiply: inner dimensions " + k + " and " + kb + " differ");
        }
        // Every tile is written with β = 0, which never reads C.
        Matrix c = Matrix.uninitialised(m, n);
        List<Runnable> tiles = new ArrayList<>();
        for (int i0 = 0; i0 < m; i0 += TILE) {
            for (int j0 = 0; j0 < n; j0 += TILE) {
                int bi = Math.min(TILE, m - i0);
                int bj = Math.min(TILE, n - j0);
                long aOff = ta ? i0 : (long) i0 * a.cols;
                long bOff = tb ? (long) j0 * b.cols : j0;
                long cOff = (long) i0 * n + j0;
                tiles.add(() -> openblas.cblas_dgemm(openblas.CblasRowMajor,
                        ta ? openblas.CblasTrans : openblas.CblasNoTrans, tb ? openblas.CblasTrans : openblas.CblasNoTrans,
                        bi, bj, k, 1.0, a.at(aOff), a.cols, b.at(bOff), b.cols, 0.0, c.at(cOff), n));
            }
        }
        run(tiles);
        return c;
    }

    /**
     * C = op(A) op(B) for square d×d operands that are known to be partly zero, computing only what is needed:
     * {@code aLower} / {@code bLower} say that A / B as stored are lower triangular (zeros above the diagonal),
     * so each output tile sums only over the k where both op(A)'s rows and op(B)'s columns can be non-zero; with
     * {@code upperOnly} only the tiles on and above the diagonal of C are computed (for a product known to be
     * symmetric), the values below them left undefined. The tiles are fixed, so the bits do not depend on the
     * thread count.
     */
    public static Matrix multiply(Matrix a, boolean ta, boolean aLower, Matrix b, boolean tb, boolean bLower,
                                  boolean upperOnly) {
        int d = a.rows;
        if (a.cols != d || b.rows != d || b.cols != d) {
            throw new IllegalArgumentException("multiply: expected square operands of one size, got " + a.rows
                    + "x" + a.cols + " and " + b.rows + "x" + b.cols);
        }
        Matrix c = Matrix.uninitialised(d, d);
        List<Runnable> tiles = new ArrayList<>();
        for (int i0 = 0; i0 < d; i0 += TILE) {
            for (int j0 = upperOnly ? i0 : 0; j0 < d; j0 += TILE) {
                int bi = Math.min(TILE, d - i0);
                int bj = Math.min(TILE, d - j0);
                int k0 = 0;
                int k1 = d;
                if (aLower) {
                    // op(A) = A lower: row i is zero past column i; op(A) = Aᵀ upper: zero before column i.
                    if (ta) {
                        k0 = Math.max(k0, i0);
                    } else {
                        k1 = Math.min(k1, i0 + bi);
                    }
                }
                if (bLower) {
                    // op(B) = B lower: column j is zero above row j; op(B) = Bᵀ upper: zero below row j.
                    if (tb) {
                        k1 = Math.min(k1, j0 + bj);
                    } else {
                        k0 = Math.max(k0, j0);
                    }
                }
                long cOff = (long) i0 * d + j0;
                if (k1 <= k0) {
                    double[] zeros = new double[bj];
                    for (int i = 0; i < bi; i++) {
                        c.put(cOff + (long) i * d, zeros, 0, bj);
                    }
                    continue;
                }
                int k = k1 - k0;
                long aOff = ta ? (long) k0 * d + i0 : (long) i0 * d + k0;
                long bOff = tb ? (long) j0 * d + k0 : (long) k0 * d + j0;
                tiles.add(() -> openblas.cblas_dgemm(openblas.CblasRowMajor,
                        ta ? openblas.CblasTrans : openblas.CblasNoTrans, tb ? openblas.CblasTrans : openblas.CblasNoTrans,
                        bi, bj, k, 1.0, a.at(aOff), d, b.at(bOff), d, 0.0, c.at(cOff), d));
            }
        }
        run(tiles);
        return c;
    }

    /** C = op(A) op(B) on row-major arrays (see {@link #multiply(Matrix, boolean, Matrix, boolean)}). */
    public static double[] multiply(double[] a, boolean ta, double[] b, boolean tb, int m, int k, int n) {
        try (Matrix ma = Matrix.of(a, ta ? k : m, ta ? m : k);
             Matrix mb = Matrix.of(b, tb ? n : k, tb ? k : n);
             Matrix c = multiply(ma, ta, mb, tb)) {
            return c.toArray();
        }
    }

    /** The eigenvalues, ascending, of the symmetric d×d matrix whose upper triangle {@code a} holds. */
    public static double[] symmetricEigenvalues(double[] a, int d) {
        check(a, (long) d * d, "A");
        double[] w = new double[d];
        load();
        // The row-major upper triangle is the column-major lower one: LAPACK reads the array as it is, without the
        // d×d transpose that LAPACKE's row-major interface makes. Native buffers, not Java arrays: JNI would copy
        // an array in and out again around the call.
        try (DoublePointer work = new DoublePointer((long) d * d).put(a); DoublePointer pw = new DoublePointer(d)) {
            int info = openblas.LAPACKE_dsyevd(openblas.LAPACK_COL_MAJOR, (byte) 'N', (byte) 'L', d, work, d, pw);
            requireConverged(info, d);
            pw.get(w);
        }
        return w;
    }

    /**
     * Eigenvalues (ascending) and eigenvectors of a symmetric d×d matrix: eigenvector k is row k of the row-major
     * d×d {@code vectors}, {@code vectors[k·d … k·d + d)}.
     */
    public record Eigen(double[] values, double[] vectors) {
    }

    /** Column tile width of the eigenvectors' back-transformation ({@link #symmetricEigen}). */
    public static final int EIGEN_TILE = 512;

    /**
     * The eigendecomposition of the symmetric d×d matrix whose upper triangle {@code a} holds, by the steps of
     * LAPACK's MRRR driver {@code dsyevr}, with the same backward stability: the reduction to tridiagonal form
     * ({@code dsytrd}), the tridiagonal eigenpairs by MRRR ({@code dstemr}), and their back-transformation by the
     * reduction's reflectors ({@code dormtr}). The last step, about 40 % of the time at D = 2048, runs in fixed tiles of
     * {@value #EIGEN_TILE} eigenvectors on the shared pool, like the products: the tiles do not depend on the thread
     * count, so neither do the bits. LAPACK runs on the array as it is (the row-major upper triangle is the
     * column-major lower one) and writes each eigenvector as a column-major column, which is a row here: LAPACKE's
     * row-major interface would transpose the input and the vectors, about a fifth of the time at D = 2048
     * (docs/statistics.md).
     */
    public static Eigen symmetricEigen(double[] a, int d) {
        check(a, (long) d * d, "A");
        double[] w = new double[d];
        double[] v = new double[d * d];
        load();
        try (DoublePointer reduced = new DoublePointer((long) d * d).put(a); DoublePointer diagonal = new DoublePointer(d);
             DoublePointer offDiagonal = new DoublePointer(d); DoublePointer tau = new DoublePointer(Math.max(1, d - 1));
             DoublePointer pw = new DoublePointer(d); DoublePointer z = new DoublePointer((long) d * d);
             IntPointer found = new IntPointer(1); IntPointer support = new IntPointer(2L * d);
             IntPointer tryRelativeAccuracy = new IntPointer(1).put(1)) {
            int info = openblas.LAPACKE_dsytrd(openblas.LAPACK_COL_MAJOR, (byte) 'L', d, reduced, d, diagonal, offDiagonal,
                    tau);
            requireConverged(info, d);
            info = openblas.LAPACKE_dstemr(openblas.LAPACK_COL_MAJOR, (byte) 'V', (byte) 'A', d, diagonal, offDiagonal, 0, 0,
                    0, 0, found, pw, z, d, d, support, tryRelativeAccuracy);
            requireConverged(info, d);
            if (found.get() != d) {
                throw new IllegalStateException("dstemr: " + found.get() + " eigenpairs of a " + d + "×" + d
                        + " matrix, expected all " + d);
            }
            List<Runnable> tiles = new ArrayList<>();
            int[] failed = new int[1];
            for (int c0 = 0; c0 < d; c0 += EIGEN_TILE) {
                int columns = Math.min(EIGEN_TILE, d - c0);
                long offset = (long) c0 * d;
                tiles.add(() -> {
                    int i = openblas.LAPACKE_dormtr(openblas.LAPACK_COL_MAJOR, (byte) 'L', (byte) 'L', (byte) 'N', d,
                            columns, reduced, d, tau, z.getPointer(offset), d);
                    if (i != 0) {
                        synchronized (failed) {
                            failed[0] = i;
                        }
                    }
                });
            }
            run(tiles);
            if (failed[0] != 0) {
                throw new IllegalArgumentException("dormtr: argument " + (-failed[0]) + " is invalid");
            }
            pw.get(w);
            z.get(v);
        }
        return new Eigen(w, v);
    }

    /**
     * The lower Cholesky factor L (row-major, zeros above the diagonal) of the symmetric d×d matrix whose lower
     * triangle {@code a} holds, or null when it is not (numerically) positive definite.
     */
    public static double[] cholesky(double[] a, int d) {
        check(a, (long) d * d, "A");
        double[] l = new double[d * d];
        load();
        // The row-major lower triangle is the column-major upper one, and the upper factor U (A = Uᵀ U) LAPACK
        // writes there is L = Uᵀ read row-major: no transposes (LAPACKE's row-major interface makes two), and a
        // native buffer, which JNI does not copy in and out again around the call.
        try (DoublePointer p = new DoublePointer((long) d * d).put(a)) {
            int info = openblas.LAPACKE_dpotrf(openblas.LAPACK_COL_MAJOR, (byte) 'U', d, p, d);
            if (info < 0) {
                throw new IllegalArgumentException("dpotrf: argument " + (-info) + " is invalid");
            }
            if (info > 0) {
                return null;
            }
            p.get(l);
        }
        for (int i = 0; i < d; i++) {
            java.util.Arrays.fill(l, i * d + i + 1, (i + 1) * d, 0.0);
        }
        return l;
    }

    private static void run(List<Runnable> tiles) {
        if (tiles.size() == 1 || parallelism() == 1) {
            tiles.forEach(Runnable::run);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(tiles.size());
        ExecutorService p = pool();
        for (Runnable t : tiles) {
            futures.add(p.submit(t));
        }
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(false));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing a matrix product", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("matrix product failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static void requireConverged(int info, int d) {
        if (info < 0) {
            throw new IllegalArgumentException("symmetric eigendecomposition: argument " + (-info) + " is invalid");
        }
        if (info > 0) {
            throw new ArithmeticException("symmetric eigendecomposition of a " + d + "x" + d + " matrix did not converge");
        }
    }

    private static void check(double[] x, long expected, String name) {
        if (x == null || x.length != expected) {
            throw new IllegalArgumentException(name + " must hold " + expected + " values, got "
                    + (x == null ? "null" : x.length));
        }
    }
}
