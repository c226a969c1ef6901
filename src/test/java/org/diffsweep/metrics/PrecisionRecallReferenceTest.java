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
 * Precision, recall, density and coverage against clovaai prdc's {@code compute_prdc} on the fixed feature sets of
 * src/test/resources/fixtures/prdc.json (written by tools/fixtures/reference_prdc.py). prdc compares distances
 * with radii by {@code <}: with {@link PrecisionRecall.Ball#OPEN} all four numbers must be equal to the bit. The
 * Gaussian sets hold no comparison within round-off of a tie (checked here); the lattice sets are full of exact
 * ties, where the ball convention decides and both sides' arithmetic is exact.
 */
class PrecisionRecallReferenceTest {

    private static final double U32 = Math.ulp(1.0f) / 2;

    static JsonNode fixture() throws IOException {
        try (InputStream in = PrecisionRecallReferenceTest.class.getResourceAsStream("/fixtures/prdc.json")) {
            assertNotNull(in, "fixture prdc.json (tools/fixtures/README.md regenerates it)");
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void openBallsEqualPrdcToTheBit() throws IOException {
        JsonNode f = fixture();
        assertEquals(8, f.get("cases").size());
        boolean closedDiffers = false;
        for (JsonNode c : f.get("cases")) {
            String name = c.get("name").textValue() + " k=" + c.get("k").intValue();
            int d = c.get("dim").intValue();
            int k = c.get("k").intValue();
            int nr = c.get("n_real").intValue();
            int nf = c.get("n_fake").intValue();
            double[] real = FrechetDistanceReferenceTest.doubles(c.get("real"));
            double[] fake = FrechetDistanceReferenceTest.doubles(c.get("fake"));
            JsonNode ref = c.get("reference");
            if (name.startsWith("gaussian")) {
                double gap = PrecisionRecallTest.brute(real, nr, fake, nf, d, k).gap();
                // prdc rounds each distance (computed in float64) to float32 and takes its square root there: d
                // within 2 u32 relative, d² within (about) 4 u32·d² ≤ 16 u32·M, for the distance and the radius
                // alike; ours are within PrecisionRecallTest.tieBound. A gap above both sides' errors means both
                // make the same decision for every pair compared.
                double needed = 32 * U32 * PrecisionRecallTest.maxSquaredNorm(real, nr, fake, nf, d)
                        + PrecisionRecallTest.tieBound(real, nr, fake, nf, d, k);
                assertTrue(gap > needed, name + ": the inputs have a near-tie (" + gap + " <= " + needed + ")");
            } else {
                for (double v : real) {
                    assertEquals(Math.rint(v), v, 0, "lattice coordinates are integers");
                }
            }
            PrecisionRecall.Result r = PrecisionRecall.of(real, nr, fake, nf, d, k, new int[nf], 1,
                    PrecisionRecall.Ball.OPEN);
            System.out.printf("prdc %s: precision %s/%s recall %s/%s density %s/%s coverage %s/%s%n", name,
                    r.precision(), ref.get("precision"), r.recall(), ref.get("recall"), r.density(),
                    ref.get("density"), r.coverage(), ref.get("coverage"));
            assertEquals(ref.get("precision").doubleValue(), r.precision(), 0, name + " precision");
            assertEquals(ref.get("recall").doubleValue(), r.recall(), 0, name + " recall");
            assertEquals(ref.get("density").doubleValue(), r.density(), 0, name + " density");
            assertEquals(ref.get("coverage").doubleValue(), r.coverage(), 0, name + " coverage");
            PrecisionRecall.Result closed = PrecisionRecall.of(real, nr, fake, nf, d, k);
            if (name.startsWith("gaussian")) {
                assertEquals(r, closed, name + ": without ties the ball convention changes nothing");
            } else {
                closedDiffers |= closed.precision() != r.precision() || closed.recall() != r.recall()
                        || closed.density() != r.density() || closed.coverage() != r.coverage();
                PrecisionRecallTest.Brute b = PrecisionRecallTest.brute(real, nr, fake, nf, d, k);
                assertEquals(b.precision(), closed.precision(), 0, name + " closed precision");
                assertEquals(b.recall(), closed.recall(), 0, name + " closed recall");
                assertEquals(b.density(), closed.density(), 0, name + " closed density");
                assertEquals(b.coverage(), closed.coverage(), 0, name + " closed coverage");
            }
        }
        assertTrue(closedDiffers, "on the lattice the convention should matter somewhere (else the test is idle)");
    }
}
