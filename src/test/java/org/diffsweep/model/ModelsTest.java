package org.diffsweep.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffsweep.config.SweepConfig;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.junit.jupiter.api.Test;

class ModelsTest {

    static final SweepConfig CONFIG = SweepConfig.parse("""
            name: m
            model: { type: gmm, random: { components: 4, dim: 3, sigma_data: 0.5, seed: 9 } }
            seeds: { start: 100, count: 10 }
            samplers: [ { name: euler } ]
            grids: [ { name: edm } ]
            nfe: [ 5 ]
            """, "test");

    @Test
    void exactSamplesHaveTheExactMoments() {
        int n = 40_000;
        FeatureStats s = Models.exactSampleStats(CONFIG.model(), 0, n);
        Gaussian exact = Models.exactReference(CONFIG.model());
        double[] mean = s.mean();
        double[] cov = exact.cov();
        for (int d = 0; d < 3; d++) {
            double se = Math.sqrt(cov[d * 3 + d] / n);
            assertEquals(exact.mean()[d], mean[d], 5 * se, "dim " + d);
        }
        // FID of exact samples is the finite-sample bias: small, positive, shrinking like 1/n.
        double fidSmall = FrechetDistance.between(Gaussian.of(Models.exactSampleStats(CONFIG.model(), 0, 1000)), exact);
        double fidLarge = FrechetDistance.between(Gaussian.of(s), exact);
        assertTrue(fidSmall > 0 && fidLarge > 0);
        assertTrue(fidLarge < fidSmall, fidLarge + " vs " + fidSmall);
    }

    @Test
    void exactSamplesDependOnTheirSeedsOnly() {
        FeatureStats a = Models.exactSampleStats(CONFIG.model(), 5, 3);
        FeatureStats b = Models.exactSampleStats(CONFIG.model(), 5, 2);
        b.merge(Models.exactSampleStats(CONFIG.model(), 7, 1));
        assertArrayEquals(a.sum(), b.sum(), 0);
    }
}
