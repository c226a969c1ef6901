package org.diffsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.rng.BatchNoise;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oracle on a one-component mixture, where the exact ODE solution is known in closed form:
 * x̂(σ) − μ = (x̂(σ_0) − μ)·sqrt((v + σ²)/(v + σ_0²)) per coordinate.
 */
class OracleJobTest {

    static final double[] MU = {0.3, -0.2};
    static final double[] V = {0.04, 0.2};

    @Test
    void errorsMatchTheClosedFormSolution(@TempDir Path dir) throws Exception {
        SweepConfig config = SweepConfig.parse("""
                name: oracle-test
                output: %s
                model: { type: gmm, components: [ { weight: 1, mean: [0.3, -0.2], variance: [0.04, 0.2] } ] }
                seeds: { start: 3, count: 10 }
                samplers: [ { name: euler }, { name: heun }, { name: dpmpp-2m } ]
                grids: [ { name: edm } ]
                nfe: [ 5, 20, 80 ]
                """.formatted(dir), "test");
        List<OracleJob.Entry> entries = OracleJob.run(config, 10, 1e-11, new Configuration());
        assertEquals(9, entries.size());

        long[] seeds = new long[10];
        for (int i = 0; i < 10; i++) {
            seeds[i] = 3 + i;
        }
        for (OracleJob.Entry e : entries) {
            double[] sigmas = e.point().levels();
            double[] x0 = BatchNoise.latents(seeds, 2, sigmas[0]);
            double[] out = org.diffsweep.family.EdmFamily.cell(e.point().cell()).samplerObject().sample(config.model().mixture(), sigmas, x0,
                    BatchNoise.samplerNoise(seeds, 2));
            double sum = 0;
            for (int i = 0; i < out.length; i++) {
                int d = i % 2;
                double exact = MU[d] + (x0[i] - MU[d]) * Math.sqrt(V[d] / (V[d] + sigmas[0] * sigmas[0]));
                sum += (out[i] - exact) * (out[i] - exact);
            }
            double expected = Math.sqrt(sum / out.length);
            assertEquals(expected, e.rmsError(), 1e-6 * expected + 1e-9, e.point().id());
        }
        // errors fall with NFE for every sampler
        for (int s = 0; s < 3; s++) {
            assertTrue(entries.get(3 * s).rmsError() > entries.get(3 * s + 1).rmsError());
            assertTrue(entries.get(3 * s + 1).rmsError() > entries.get(3 * s + 2).rmsError());
        }
        for (String f : new String[] {"oracle.md", "oracle.csv", "oracle.png"}) {
            assertTrue(Files.size(dir.resolve("oracle").resolve(f)) > 100, f);
        }
        byte[] png = Files.readAllBytes(dir.resolve("oracle/oracle.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }

    /**
     * The oracle on the guided ODE of a class-conditional mixture: at w = 0 the guided denoiser is the whole mixture's
     * exactly (its errors equal those of the same mixture without classes, from the same latents); at w = 1 it is the
     * conditional model's (equal to the labelled sweep without guidance); at w = 3 every sampler's error still falls
     * with NFE against the reference solution of the guided ODE.
     */
    @Test
    void guidedOdeErrors(@TempDir Path dir) throws Exception {
        String base = """
                name: oracle-guided
                output: %s
                model: { type: gmm, random: { components: 4, dim: 3, sigma_data: 0.5, seed: 7CLASSES } }
                seeds: { start: 0, count: 8 }
                samplers: [ { name: euler }, { name: heun } ]
                grids: [ { name: edm } ]
                nfe: [ 9, 33, 129 ]
                """.formatted(dir);
        Configuration conf = new Configuration();
        List<OracleJob.Entry> plain = OracleJob.run(SweepConfig.parse(base.replace("CLASSES", ""), "t"), 8, 1e-11, conf);
        String classed = base.replace("CLASSES", ", classes: 2");
        List<OracleJob.Entry> conditional = OracleJob.run(SweepConfig.parse(classed, "t"), 8, 1e-11, conf);
        List<OracleJob.Entry> guided = OracleJob.run(SweepConfig.parse(classed + "guidance: [0, 1, 3]\n", "t"), 8,
                1e-11, conf);
        assertEquals(18, guided.size());
        for (int s = 0; s < 2; s++) {
            for (int n = 0; n < 3; n++) {
                OracleJob.Entry w0 = guided.get(9 * s + n);
                OracleJob.Entry w1 = guided.get(9 * s + 3 + n);
                OracleJob.Entry w3 = guided.get(9 * s + 6 + n);
                assertEquals(0.0, w0.point().guidance());
                assertEquals(3.0, w3.point().guidance());
                assertEquals(plain.get(3 * s + n).rmsError(), w0.rmsError(), 0, w0.point().id());
                assertEquals(conditional.get(3 * s + n).rmsError(), w1.rmsError(), 0, w1.point().id());
                if (n > 0) {
                    assertTrue(guided.get(9 * s + 6 + n - 1).rmsError() > w3.rmsError(), w3.point().id());
                }
            }
        }
        assertTrue(Files.readString(dir.resolve("oracle/oracle.md")).contains("euler guidance=3"));
    }
}
