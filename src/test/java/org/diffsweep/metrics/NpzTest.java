package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** .npz statistics: files written by NumPy (np.savez, np.savez_compressed) read exactly; our own round-trip exactly. */
class NpzTest {

    // The values the fixture script printed (numpy default_rng(0)): see src/test/resources/npz/README.md
    static final double[] MU = {0.1257302210933933, -0.1321048632913019, 0.6404226504432821};

    static Map<String, Npz.Array> fixture(String name) throws IOException {
        try (InputStream in = NpzTest.class.getResourceAsStream("/npz/" + name)) {
            return Npz.read(in, name);
        }
    }

    @Test
    void readsNumpysFiles() throws IOException {
        Gaussian g = Npz.gaussian(fixture("stats.npz"), "stats.npz");
        assertArrayEquals(MU, g.mean(), 0);
        assertEquals(9, g.cov().length);
        assertEquals(g.cov()[1], g.cov()[3], 0); // symmetric as saved
        Gaussian f32 = Npz.gaussian(fixture("stats_f32_compressed.npz"), "f32");
        for (int i = 0; i < 3; i++) {
            assertEquals((float) MU[i], f32.mean()[i], 0);
        }
    }

    @Test
    void roundTripIsExact() throws IOException {
        Gaussian g = Npz.gaussian(fixture("stats.npz"), "stats.npz");
        Gaussian withN = new Gaussian(g.mean(), g.cov(), 12345);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npz.write(out, Npz.of(withN));
        Gaussian back = Npz.gaussian(Npz.read(new ByteArrayInputStream(out.toByteArray()), "mem"), "mem");
        assertArrayEquals(withN.mean(), back.mean(), 0);
        assertArrayEquals(withN.cov(), back.cov(), 0);
        assertEquals(12345, back.n());
    }

    @Test
    void refusesWhatItCannotRead() {
        IOException e = assertThrows(IOException.class,
                () -> Npz.read(new ByteArrayInputStream(new byte[] {1, 2, 3}), "junk.npz"));
        assertTrue(e.getMessage().contains("junk.npz"), e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> Npz.gaussian(Map.of("mu",
                new Npz.Array(new long[] {1}, new double[] {0})), "x.npz"));
        assertTrue(missing.getMessage().contains("expected 'mu' and 'sigma'"), missing.getMessage());
    }

    private static Gaussian stats(long[] sigmaShape, double[] sigma, int d) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, Npz.Array> m = new java.util.LinkedHashMap<>();
        m.put("mu", new Npz.Array(new long[] {d}, new double[d]));
        m.put("sigma", new Npz.Array(sigmaShape, sigma));
        Npz.write(out, m);
        return Npz.gaussian(Npz.read(new ByteArrayInputStream(out.toByteArray()), "ref.npz"), "ref.npz");
    }

    private static String refusal(long[] sigmaShape, double[] sigma, int d) {
        IOException e = assertThrows(IOException.class, () -> stats(sigmaShape, sigma, d));
        assertTrue(e.getMessage().startsWith("ref.npz: "), e.getMessage());
        return e.getMessage();
    }

    /** A sigma of 64 values shaped (4, 16) for 8 features is refused, not read as 8 × 8. */
    @Test
    void refusesASigmaOfTheWrongShape() {
        String m = refusal(new long[] {4, 16}, new double[64], 8);
        assertTrue(m.contains("sigma has shape (4, 16), expected (8, 8)"), m);
        m = refusal(new long[] {4}, new double[4], 2);
        assertTrue(m.contains("sigma has shape (4,), expected (2, 2)"), m);
    }

    @Test
    void refusesANonFiniteSigma() {
        String m = refusal(new long[] {2, 2}, new double[] {1, 0, Double.NaN, 1}, 2);
        assertTrue(m.contains("sigma[1, 0] = NaN, expected finite values"), m);
    }

    /** Neither triangle is silently ignored: an asymmetry beyond float32 round-off of the largest entry is refused. */
    @Test
    void refusesAnAsymmetricSigmaBeyondRoundOff() throws IOException {
        String m = refusal(new long[] {2, 2}, new double[] {1, 0.5, 0, 1}, 2);
        assertTrue(m.contains("sigma is not symmetric: sigma[0, 1] = 0.5 but sigma[1, 0] = 0.0"), m);
        // 1e-6 relative (float32 round-off is 6e-8) passes; 1e-4 relative does not
        stats(new long[] {2, 2}, new double[] {4, 1 + 4e-6, 1, 2}, 2);
        assertTrue(refusal(new long[] {2, 2}, new double[] {4, 1 + 4e-4, 1, 2}, 2).contains("not symmetric"));
    }

    /**
     * [[1, 1 + δ], [1 + δ, 1]] has eigenvalues 2 + δ and −δ (trace 2): δ = 1e-3 is refused and named, δ = 1e-7
     * (within 1e-6 · trace, round-off of a singular covariance) is accepted, as is an exactly singular one.
     */
    @Test
    void refusesASigmaThatIsNotPositiveSemiDefinite() throws IOException {
        String m = refusal(new long[] {2, 2}, new double[] {1, 1.001, 1.001, 1}, 2);
        assertTrue(m.contains("sigma is not positive semi-definite: its smallest eigenvalue is -0.001000 (trace 2.000)"), m);
        assertTrue(refusal(new long[] {2, 2}, new double[] {1, 2, 2, 1}, 2).contains("smallest eigenvalue is -1.000"));
        assertTrue(refusal(new long[] {2, 2}, new double[] {-1, 0, 0, 1}, 2).contains("smallest eigenvalue is -1.000"));
        stats(new long[] {2, 2}, new double[] {1, 1 + 1e-7, 1 + 1e-7, 1}, 2);
        stats(new long[] {2, 2}, new double[] {1, 1, 1, 1}, 2);
        stats(new long[] {2, 2}, new double[4], 2);
    }

    /**
     * A positive definite sigma comes with the Cholesky factor its check computed, which the distance to it then uses
     * instead of factorising again: the distances are those of the same statistics without it, to the bit. A singular
     * (PSD) sigma has none.
     */
    @Test
    void aPositiveDefiniteSigmaKeepsTheFactorItsCheckComputed() throws IOException {
        double[] sigma = {4, 1, 0.5, 1, 3, 0.25, 0.5, 0.25, 2};
        Gaussian read = stats(new long[] {3, 3}, sigma, 3);
        assertNotNull(read.knownLowerFactor());
        assertArrayEquals(org.diffsweep.linalg.Lapack.cholesky(sigma, 3), read.knownLowerFactor());
        Gaussian plain = new Gaussian(new double[3], sigma, 0);
        assertNull(plain.knownLowerFactor());
        Gaussian x = new Gaussian(new double[] {0.5, -1, 2}, new double[] {1, 0.3, 0, 0.3, 2, 0.1, 0, 0.1, 5}, 10);
        assertEquals(new FrechetDistance.To(plain).from(x), new FrechetDistance.To(read).from(x));
        assertEquals(new FrechetDistance.To(plain).linearised(x).fid(), new FrechetDistance.To(read).linearised(x).fid());
        assertNull(stats(new long[] {2, 2}, new double[] {1, 1, 1, 1}, 2).knownLowerFactor());
    }
}
