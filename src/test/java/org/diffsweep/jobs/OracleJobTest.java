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
}
