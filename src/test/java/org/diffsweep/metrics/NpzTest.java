package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
