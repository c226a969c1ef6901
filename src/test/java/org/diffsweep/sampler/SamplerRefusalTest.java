package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.junit.jupiter.api.Test;

/** Every registered sampler refuses an impossible request with a clear one-line error. */
class SamplerRefusalTest {

    static final GaussianMixture MIXTURE = GaussianMixture.random(2, 3, 0.5, 1);

    static Sampler[] all() {
        return Arrays.stream(Samplers.NAMES.split(",\\s*"))
                .map(n -> Samplers.of(n, n.equals("deis-sn") ? Map.<String, Object>of("norm", "exact") : Map.of(),
                        new EdmProcess(), MIXTURE))
                .toArray(Sampler[]::new);
    }

    @Test
    void everySamplerIsRegisteredAndRefusesAZeroBudget() {
        Sampler[] samplers = all();
        assertEquals(8, samplers.length);
        for (Sampler s : samplers) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.stepsForNfe(0));
            assertTrue(e.getMessage().startsWith(s.describe() + ": nfe = 0, expected at least "), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
        // Heun-type samplers need 3 NFE for the two steps of an edm grid; NFE 2 buys only one step.
        assertEquals(1, Samplers.of("heun", Map.of(), new EdmProcess()).stepsForNfe(2));
    }

    @Test
    void everySamplerRefusesAGridThatDoesNotDecrease() {
        double[] x = new double[3];
        BatchNoise noise = BatchNoise.samplerNoise(new long[] {0}, 3);
        for (Sampler s : all()) {
            for (double[] grid : new double[][] {{1, 2, 0}, {5, 5, 0}, {5, Double.NaN, 0}, {3}}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> s.sample(MIXTURE, grid, x, noise), s.describe() + " on " + Arrays.toString(grid));
                assertTrue(e.getMessage().contains("sigma") || e.getMessage().contains("levels"), e.getMessage());
            }
        }
    }

    @Test
    void optionsAreChecked() {
        EdmProcess edm = new EdmProcess();
        String[][] cases = {
            {"deis", "order", "5", "expected 1 to 4"},
            {"deis", "variant", "bogus", "bogus"},
            {"deis-sn", "order", "2", "norm missing"},
            {"edm-stochastic", "S_churn", "-1", "S_churn = -1.0"},
            {"heun", "order", "2", "unknown option(s) [order], expected none"},
            {"deis", "orde", "2", "unknown option(s) [orde], expected some of [order, variant]"},
        };
        for (String[] c : cases) {
            Object value = c[2].matches("-?[0-9.]+") ? (Object) Double.parseDouble(c[2]) : c[2];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Samplers.of(c[0], Map.of(c[1], value), edm, MIXTURE), String.join(" ", c));
            assertTrue(e.getMessage().contains(c[3]), c[3] + " not in: " + e.getMessage());
        }
        IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class,
                () -> Samplers.of("deis-sn", Map.of("norm", "exact"), edm, null));
        assertTrue(noModel.getMessage().contains("needs an analytic model"), noModel.getMessage());
    }
}
