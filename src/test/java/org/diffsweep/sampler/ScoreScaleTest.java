package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.diffusion.VpProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.sampler.Deis.Variant;
import org.diffsweep.schedule.EdmGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DEIS-SN's score scale r(σ): the CSV format, interpolation, refusals, and the table of the exact model. */
class ScoreScaleTest {

    static final VpProcess VP = new VpProcess();

    @Test
    void readsTheNormStatsFormatInAnyColumnOrderAndDirection(@TempDir Path dir) throws Exception {
        Path down = Files.writeString(dir.resolve("down.csv"),
                "# model: x, sampler: deis order 3, k = 5\n\nt,r,sigma,se,count\n"
                        + "1,0.8,100,0.001,256\n0.5,0.7,10,0.001,256\n# a comment between rows\n0.1,0.5,1,0.002,256\n");
        Path up = Files.writeString(dir.resolve("up.csv"), "sigma,r\n1,0.5\n10,0.7\n100,0.8\n");
        for (Path p : new Path[] {down, up}) {
            ScoreScale s = ScoreScale.fromCsv(p, VP);
            assertArrayEquals(new double[] {1, 10, 100}, s.sigmas(), 0, p.toString());
            assertArrayEquals(new double[] {0.5, 0.7, 0.8}, s.values(), 0, p.toString());
            assertEquals(p.getFileName().toString(), s.label());
            assertFalse(s.isConstant());
        }
    }

    /** Linear in the process time between points (not in σ), constant beyond the ends. */
    @Test
    void interpolatesLinearlyInTheProcessTime(@TempDir Path dir) throws Exception {
        ScoreScale s = ScoreScale.fromCsv(Files.writeString(dir.resolve("t.csv"), "sigma,r\n1,0.5\n10,0.7\n100,0.8\n"),
                VP);
        double expected = 0.5 + (VP.time(3) - VP.time(1)) / (VP.time(10) - VP.time(1)) * 0.2;
        assertEquals(expected, s.at(3), 1e-15);
        assertTrue(Math.abs(s.at(3) - (0.5 + 2.0 / 9 * 0.2)) > 1e-3, "interpolated in sigma, not in t");
        assertEquals(0.7, s.at(10), 0);
        assertEquals(0.5, s.at(0), 0);
        assertEquals(0.5, s.at(0.3), 0);
        assertEquals(0.8, s.at(150), 0);
        // EDM time is σ: plain linear interpolation
        ScoreScale e = ScoreScale.fromCsv(dir.resolve("t.csv"), new EdmProcess());
        assertEquals(0.5 + 2.0 / 9 * 0.2, e.at(3), 1e-15);
        assertEquals(1.0, ScoreScale.constant().at(0.123), 0);
        assertTrue(ScoreScale.constant().isConstant());
    }

    @Test
    void refusesMalformedTables(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"sigma,se\n1,0.5\n2,0.6\n", "line 1: header sigma,se has no column 'r', expected columns sigma and r"},
            {"t,r\n1,0.5\n2,0.6\n", "line 1: header t,r has no column 'sigma'"},
            {"sigma,r\n1,0.5\n2,abc\n", "line 3: r = 'abc', expected a number"},
            {"sigma,r\n1,0.5\nx,0.6\n", "line 3: sigma = 'x', expected a number"},
            {"sigma,r\n1,0.5\n2,0\n", "line 3: r = 0.0, expected a finite value > 0"},
            {"sigma,r\n1,-0.1\n2,0.6\n", "line 2: r = -0.1, expected a finite value > 0"},
            {"sigma,r\n1,NaN\n2,0.6\n", "line 2: r = NaN, expected a finite value > 0"},
            {"# one row\nsigma,r\n1,0.5\n", "line 3: 1 data row at the end of the file, expected at least 2"},
            {"sigma,r\n", "line 1: 0 data rows at the end of the file, expected at least 2"},
            {"# nothing\n", "no header line, expected a header with columns sigma and r"},
            {"sigma,r\n3,0.5\n2,0.6\n2.5,0.7\n", "line 4: sigma = 2.5 after 2.0, expected sigma decreasing"},
            {"sigma,r\n3,0.5\n3,0.6\n", "line 3: sigma = 3.0 after 3.0, expected sigma different"},
            {"sigma,r\n-1,0.5\n2,0.6\n", "line 2: sigma = -1.0, expected a finite value >= 0"},
            {"sigma,r,se\n1,0.5,0.1\n2,0.6\n", "line 3: 2 fields, expected 3 as in the header (line 1)"},
            {"sigma,r,sigma\n1,0.5,1\n2,0.6,2\n", "has column 'sigma' twice"},
        };
        for (String[] c : cases) {
            Path f = Files.writeString(dir.resolve("bad.csv"), c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScoreScale.fromCsv(f, VP),
                    c[0]);
            assertTrue(e.getMessage().startsWith("score table " + f + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), "expected '" + c[1] + "' in: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScoreScale.fromCsv(dir.resolve("absent.csv"), VP));
        assertTrue(e.getMessage().contains("absent.csv: no such file"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ScoreScale.of(new double[] {1, 2, 1.5}, new double[] {0.5, 0.6, 0.7}, VP, "inline"));
        assertTrue(e.getMessage().contains("score table inline: point 2: sigma = 1.5 after 2.0, expected strictly"
                + " monotone sigma"), e.getMessage());
        Path big = Files.writeString(dir.resolve("big.csv"), "sigma,r\n500,0.8\n1,0.6\n");
        e = assertThrows(IllegalArgumentException.class, () -> ScoreScale.fromCsv(big, new DdpmProcess()));
        assertTrue(e.getMessage().contains("line 2: sigma = 500.0 is outside the range of process vp-discrete"),
                e.getMessage());
    }

    /** Travels to executors inside the sampler: serializes with its table and interpolation variable. */
    @Test
    void serializesWithTheSampler(@TempDir Path dir) throws Exception {
        ScoreScale s = ScoreScale.fromCsv(Files.writeString(dir.resolve("t.csv"), "sigma,r\n1,0.5\n10,0.7\n100,0.8\n"),
                VP);
        Deis deis = new Deis(3, Variant.TAB, VP, s, "deis-sn");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(deis);
        }
        Deis back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (Deis) in.readObject();
        }
        assertEquals(deis.describe(), back.describe());
        assertEquals(s.at(3), back.scoreScale().at(3), 0);
        double[] grid = {100, 20, 5, 1, 0.2, 0};
        assertTrue(Arrays.deepEquals(deis.coefficients(grid), back.coefficients(grid)));
    }

    /**
     * The table of the exact mixture (40 levels of an edm grid from 80 to 0.002, 4096 samples). Checked against
     * two independent predictions, each within 3 standard errors computed here:
     * <ul>
     *   <li>large σ (≥ 20): ε = E[n | x̂] → n, so r → E|N(0,1)| = √(2/π), with SE √((1 − 2/π)/(samples·D))
     *       (the D coordinates of n are independent);</li>
     *   <li>small σ (≤ 0.1, where the noised components do not overlap): given component k, ε_d ~ N(0, s_kd²)
     *       with s_kd = σ/√(v_kd + σ²), so r = √(2/π)·Σ_k w_k·mean_d s_kd, and the per-sample mean over d has
     *       variance Σ_k w_k[(1 − 2/π)Σ_d s_kd²/D² + m_k²] − r² (m_k its mean given k).</li>
     * </ul>
     * Shape seen: ≈ 0.797 for σ ≳ 3, a dip to ≈ 0.74 around σ ≈ 0.5–1 (where the noised components overlap and
     * E[ε²] = 1 − mmse/σ² &lt; 1), then a fall to 0, linear in σ: this data has a density, so D − x̂ = O(σ²) and ε → 0
     * (r(0.002) ≈ 0.0093), unlike image models' 0.55–0.58 (docs/offline-statistics.md).
     */
    @Test
    void tableOfTheExactModel() {
        GaussianMixture m = GaussianMixture.random(8, 16, 0.5, 2024);
        double[] levels = Arrays.copyOf(new EdmGrid(0.002, 80, 7).sigmas(40), 40);
        int samples = 4096;
        int dim = m.dim();
        ScoreScale table = ScoreScale.monteCarlo(m, levels, samples, 7);
        double[] s = table.sigmas();
        double[] r = table.values();
        assertEquals(40, s.length);
        double seLarge = Math.sqrt((1 - 2 / Math.PI) / ((double) samples * dim));
        double[] w = m.weights();
        double[][] v = m.variances();
        int checkedLarge = 0;
        int checkedSmall = 0;
        StringBuilder shape = new StringBuilder("mc table sigma -> r:");
        for (int k = 0; k < s.length; k++) {
            assertTrue(r[k] > 0 && r[k] < 1.2, "r(" + s[k] + ") = " + r[k]);
            if (k % 4 == 0 || k == s.length - 1) {
                shape.append(String.format(" %.3g->%.4f", s[k], r[k]));
            }
            if (s[k] >= 20) {
                assertEquals(Math.sqrt(2 / Math.PI), r[k], 3 * seLarge, "sigma " + s[k]);
                checkedLarge++;
            }
            if (s[k] <= 0.1) {
                double mean = 0;
                double second = 0;
                for (int c = 0; c < w.length; c++) {
                    double mk = 0;
                    double vk = 0;
                    for (int d = 0; d < dim; d++) {
                        double sd = s[k] / Math.sqrt(v[c][d] + s[k] * s[k]);
                        mk += Math.sqrt(2 / Math.PI) * sd / dim;
                        vk += (1 - 2 / Math.PI) * sd * sd / ((double) dim * dim);
                    }
                    mean += w[c] * mk;
                    second += w[c] * (vk + mk * mk);
                }
                double se = Math.sqrt((second - mean * mean) / samples);
                assertEquals(mean, r[k], 3 * se, "sigma " + s[k]);
                checkedSmall++;
            }
        }
        System.out.println(shape);
        assertTrue(checkedLarge >= 5 && checkedSmall >= 5, checkedLarge + " " + checkedSmall);
        // it falls towards σ → 0: monotone below σ = 0.3, and at σ_min a small fraction of its plateau
        for (int k = 1; k < s.length && s[k] < 0.3; k++) {
            assertTrue(r[k] > r[k - 1], "r(" + s[k] + ") = " + r[k] + " <= r(" + s[k - 1] + ") = " + r[k - 1]);
        }
        assertTrue(r[0] < 0.02, "r(0.002) = " + r[0]);
        // the same seed gives the same table; another seed another
        assertArrayEquals(r, ScoreScale.monteCarlo(m, levels, samples, 7).values(), 0);
        assertFalse(Arrays.equals(r, ScoreScale.monteCarlo(m, levels, samples, 8).values()));
        assertEquals("mc-" + m.id() + "-n4096-s7", table.label());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScoreScale.monteCarlo(m, levels, 0, 7));
        assertTrue(e.getMessage().contains("samples = 0, expected at least 1"), e.getMessage());
    }
}
