package org.diffsweep.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * FID against pytorch-fid's {@code calculate_frechet_distance} on the fixed Gaussians of
 * src/test/resources/fixtures/pytorch-fid.json (written by tools/fixtures/reference_fid.py). pytorch-fid takes
 * scipy's sqrtm of Σ₁Σ₂, we take the eigenvalues of Bᵀ Σ₂ B; both are exact up to round-off, so they must agree
 * to the fixture's relative tolerance.
 */
class FrechetDistanceReferenceTest {

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).doubleValue();
        }
        return out;
    }

    @Test
    void matchesPytorchFid() throws IOException {
        JsonNode f;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/pytorch-fid.json")) {
            assertNotNull(in, "fixture pytorch-fid.json (tools/fixtures/README.md regenerates it)");
            f = new ObjectMapper().readTree(in);
        }
        double tolerance = f.get("relative_tolerance").doubleValue();
        assertEquals(3, f.get("cases").size());
        for (JsonNode c : f.get("cases")) {
            int d = c.get("dim").intValue();
            long n = c.get("n").longValue();
            Gaussian a = new Gaussian(doubles(c.get("mu1")), doubles(c.get("sigma1")), n);
            Gaussian b = new Gaussian(doubles(c.get("mu2")), doubles(c.get("sigma2")), n);
            assertEquals(d, a.dim());
            double expected = c.get("reference_fid").doubleValue();
            double ours = FrechetDistance.between(a, b);
            double relative = Math.abs(ours - expected) / expected;
            System.out.printf("pytorch-fid %s: FID %.17g vs %.17g, relative difference %.3e (tolerance %.0e)%n",
                    c.get("name").textValue(), ours, expected, relative, tolerance);
            assertTrue(relative <= tolerance, c.get("name").textValue() + ": " + ours + " vs pytorch-fid " + expected);
        }
    }
}
