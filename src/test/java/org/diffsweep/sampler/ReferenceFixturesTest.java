package org.diffsweep.sampler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;
import org.diffsweep.diffusion.EdmProcess;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.rng.BatchNoise;
import org.junit.jupiter.api.Test;

/**
 * Our ODE samplers against the reference implementations the README names, on the fixtures that
 * tools/fixtures/ writes: each reference sampler was run on our exact Gaussian mixture (its closed-form denoiser
 * re-implemented in torch float64) from our latents on our σ grid; here our sampler runs on the same mixture,
 * latents and grid, and must agree with the reference's samples to the README's tolerance, coordinate by
 * coordinate. The grids are those our {@code edm} grid makes for small NFE, where the discretisation error is
 * large (RMS 0.04 to 1.3 against the exact ODE solution), so the agreement is that of the steps, not of two
 * converged solutions.
 */
class ReferenceFixturesTest {

    static JsonNode fixture(String name) throws IOException {
        try (InputStream in = ReferenceFixturesTest.class.getResourceAsStream("/fixtures/" + name)) {
            assertNotNull(in, "fixture " + name + " (tools/fixtures/README.md regenerates it)");
            return new ObjectMapper().readTree(in);
        }
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).doubleValue();
        }
        return out;
    }

    static double[][] rows(JsonNode array) {
        double[][] out = new double[array.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = doubles(array.get(i));
        }
        return out;
    }

    static GaussianMixture mixture(JsonNode f) {
        JsonNode m = f.get("mixture");
        return new GaussianMixture(doubles(m.get("weights")), rows(m.get("means")), rows(m.get("variances")));
    }

    /**
     * Runs {@code sampler} on every config of the fixture and returns the largest |ours − reference| over all
     * configs, seeds and coordinates, after checking each against {@code tolerance}.
     */
    static double compare(String name, String samplerName, Supplier<Sampler> sampler, double tolerance)
            throws IOException {
        JsonNode f = fixture(name);
        assertEquals(tolerance, f.get("tolerance").doubleValue(), 0, name + ": the README's tolerance");
        GaussianMixture model = mixture(f);
        int dim = f.get("dim").intValue();
        assertEquals(dim, model.dim());
        long[] seeds = new long[f.get("seeds").size()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = f.get("seeds").get(i).longValue();
        }
        assertFalse(f.get("configs").isEmpty(), name + " has no configs");
        double worst = 0;
        for (JsonNode c : f.get("configs")) {
            assertEquals(samplerName, c.get("sampler").textValue(), name);
            double[] sigmas = doubles(c.get("sigmas"));
            double[] latents = doubles(c.get("latents"));
            double[] expected = doubles(c.get("reference_samples"));
            assertEquals(seeds.length * dim, expected.length);
            Sampler s = sampler.get();
            assertEquals(s.nfe(sigmas.length - 1), c.get("nfe").intValue(),
                    name + " " + c.get("config_id").textValue() + ": the reference made as many model calls");
            double[] ours = s.sample(model, sigmas, latents, BatchNoise.samplerNoise(seeds, dim));
            double max = 0;
            for (int i = 0; i < ours.length; i++) {
                max = Math.max(max, Math.abs(ours[i] - expected[i]));
            }
            System.out.printf("%s %s: max |diffsweep - reference| = %.3e (tolerance %.0e)%n", name,
                    c.get("config_id").textValue(), max, tolerance);
            assertTrue(max <= tolerance, name + " " + c.get("config_id").textValue() + ": max difference " + max
                    + " > " + tolerance);
            worst = Math.max(worst, max);
        }
        return worst;
    }

    @Test
    void heunMatchesEdmSampler() throws IOException {
        compare("edm-heun.json", "heun", Heun::new, 4e-13);
    }

    @Test
    void heunUsesEdmSamplersGrid() throws IOException {
        // edm_sampler builds its own grid from (num_steps, sigma_min, sigma_max, rho); the fixture records the
        // levels it called the model at, which must be our edm grid up to round-off
        for (JsonNode c : fixture("edm-heun.json").get("configs")) {
            double[] ours = doubles(c.get("sigmas"));
            double[] theirs = doubles(c.get("reference_sigmas"));
            assertEquals(ours.length, theirs.length);
            for (int i = 0; i < ours.length; i++) {
                assertEquals(ours[i], theirs[i], 1e-14 * ours[i], "level " + i);
            }
        }
    }

    @Test
    void eulerMatchesKDiffusion() throws IOException {
        compare("k-diffusion-euler.json", "euler", Euler::new, 7e-14);
    }

    @Test
    void dpmSolverPlusPlus2MMatchesKDiffusion() throws IOException {
        compare("k-diffusion-dpmpp-2m.json", "dpmpp-2m", DpmSolverPlusPlus2M::new, 7e-14);
    }

    @Test
    void deisMatchesThDeisWithExactQuadrature() throws IOException {
        compare("deis-tab3.json", "deis(order=3,variant=tab)",
                () -> new Deis(3, Deis.Variant.TAB, new EdmProcess()), 5e-11);
    }
}
