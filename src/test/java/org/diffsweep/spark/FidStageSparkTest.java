package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.FidJob;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.JackknifeFid;
import org.diffsweep.metrics.RoundOff;
import org.diffsweep.model.Models;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fid stage on Spark's local mode: the table is the same bits for any block size and rerun, and a memory
 * budget that holds one config reduces many configs one at a time, to the same numbers.
 */
@Tag("spark")
class FidStageSparkTest {

    private static String config(String output, int blockSize) {
        return """
                name: many
                output: %s
                model:
                  type: gmm
                  random: { components: 3, dim: 6, sigma_data: 0.5, seed: 93 }
                seeds: { start: 3, count: 47 }
                block_size: %d
                batch_size: 9
                samplers: [ { name: euler }, { name: heun }, { name: dpmpp-2m }, { name: ipndm } ]
                grids: [ { name: edm, rho: 7 } ]
                nfe: [ 5, 9, 13 ]
                """.formatted(output, blockSize);
    }

    private static void assertSameTable(List<FidJob.Entry> a, List<FidJob.Entry> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).point().id(), b.get(i).point().id());
            assertEquals(a.get(i).fid(), b.get(i).fid(), 0.0, a.get(i).point().id());
            assertEquals(a.get(i).se(), b.get(i).se(), 0.0, a.get(i).point().id());
            assertArrayEquals(a.get(i).leaveOneOut(), b.get(i).leaveOneOut(), 0.0, a.get(i).point().id());
        }
    }

    @Test
    void theTableIsTheSameBitsForAnyBlockSizeRerunAndMemoryBudget() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        String a = SparkTestSupport.tempDir("fid-stage").resolve("b8").toString();
        String b = SparkTestSupport.tempDir("fid-stage").resolve("b5").toString();
        SweepConfig ca = SweepConfig.parse(config(a, 8), "many");
        SweepConfig cb = SweepConfig.parse(config(b, 5), "many");
        SweepJob.run(spark, ca, 0);
        SweepJob.run(spark, cb, 3);

        List<FidJob.Entry> first = FidJob.run(spark, ca);
        assertEquals(12, first.size());
        for (FidJob.Entry e : first) {
            assertEquals(47, e.n());
            assertEquals(JackknifeFid.DEFAULT_GROUPS, e.leaveOneOut().length);
            assertTrue(e.fid() > 0 && e.se() > 0, e.point().id() + ": " + e.fid() + " ± " + e.se());
        }
        assertSameTable(first, FidJob.run(spark, ca));
        assertSameTable(first, FidJob.run(spark, cb));
        // Without Spark tasks (the fid command on a local master): the same bits, on one core or two.
        assertSameTable(first, FidJob.runLocal(spark.sparkContext().hadoopConfiguration(), ca, 1));
        assertSameTable(first, FidJob.runLocal(spark.sparkContext().hadoopConfiguration(), cb, 2));

        // A budget too small for even one config: one config at a time (never fewer), the same table.
        SparkEnv.get().conf().set("spark.diffsweep.fid.memory", "1k");
        try {
            FidTask.Gate.resetPeak();
            assertSameTable(first, FidJob.run(spark, cb));
            assertEquals(1, FidTask.Gate.peak());
        } finally {
            SparkEnv.get().conf().remove("spark.diffsweep.fid.memory");
        }

        // The linearised jackknife gives the same FIDs and a spread of the same size. At n = 47 a group is 4–5
        // seeds, a large perturbation for a first-order expansion: its accuracy is checked at n = 400 in
        // JackknifeFidTest; here only that the stage wires it in (measured: within 26 %).
        // The full FIDs differ only in the eigensolver that takes M's eigenvalues: equal within the bound derived
        // from its backward error (RoundOff.eigensolverFidBound), whatever the BLAS kernel.
        List<FidJob.Entry> linear = FidJob.run(spark, ca, JackknifeFid.Method.LINEAR);
        FrechetDistance.To reference = new FrechetDistance.To(Models.exactReference(ca.model()));
        for (int i = 0; i < first.size(); i++) {
            FeatureStats all = null;
            for (FeatureStats group : ConfigStats.read(new SweepLayout(ca.output()),
                    spark.sparkContext().hadoopConfiguration(), first.get(i).point().id(), ca.seedStart(),
                    ca.seedCount(), ca.blockSize(), ca.featureDim(), JackknifeFid.DEFAULT_GROUPS)) {
                all = all == null ? new FeatureStats(group.shift()).merge(group) : all.merge(group);
            }
            double bound = RoundOff.eigensolverFidBound(reference.productEigenvalues(Gaussian.of(all)),
                    first.get(i).fid());
            assertEquals(first.get(i).fid(), linear.get(i).fid(), bound, first.get(i).point().id());
            assertEquals(first.get(i).se(), linear.get(i).se(), 0.5 * first.get(i).se(), first.get(i).point().id());
        }
    }

    /**
     * A .npz reference on the local fid stage (the factor its check computed is the one the distance uses): the same
     * bits as the Spark stage's; a reference it refuses fails the stage with the reference's one line and leaves no
     * table behind.
     */
    @Test
    void anNpzReferenceGivesTheSameBitsLocallyAndABadOneLeavesNoTable() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        java.nio.file.Path dir = SparkTestSupport.tempDir("fid-npz");
        int d = 6;
        double[] sigma = new double[d * d];
        for (int i = 0; i < d; i++) {
            sigma[i * d + i] = 0.3 + 0.1 * i;
        }
        writeNpz(dir.resolve("good.npz"), new double[d], sigma);
        double[] asymmetric = sigma.clone();
        asymmetric[1] = 0.2;
        writeNpz(dir.resolve("bad.npz"), new double[d], asymmetric);
        String out = dir.resolve("out").toString();
        SweepConfig good = SweepConfig.parse(config(out, 8) + "reference: " + dir.resolve("good.npz") + "\n", "many");
        SweepJob.run(spark, good, 0);
        List<FidJob.Entry> spark1 = FidJob.run(spark, good);
        assertSameTable(spark1, FidJob.runLocal(spark.sparkContext().hadoopConfiguration(), good, 2));

        SweepConfig bad = SweepConfig.parse(config(out, 8) + "reference: " + dir.resolve("bad.npz") + "\n", "many");
        SweepLayout layout = new SweepLayout(bad.output());
        org.apache.hadoop.fs.FileSystem fs = layout.root().getFileSystem(spark.sparkContext().hadoopConfiguration());
        fs.delete(layout.fidDir(), true);
        org.diffsweep.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.diffsweep.config.ConfigException.class,
                () -> FidJob.runLocal(spark.sparkContext().hadoopConfiguration(), bad, 2));
        assertTrue(e.getMessage().contains("bad.npz: sigma is not symmetric: sigma[0, 1] = 0.2"), e.getMessage());
        assertTrue(!fs.exists(layout.fidComplete()) && !fs.exists(new org.apache.hadoop.fs.Path(layout.fidDir(),
                "fid.csv")), "nothing of a table is left");
    }

    private static void writeNpz(java.nio.file.Path file, double[] mu, double[] sigma) throws java.io.IOException {
        java.util.Map<String, org.diffsweep.metrics.Npz.Array> m = new java.util.LinkedHashMap<>();
        m.put("mu", new org.diffsweep.metrics.Npz.Array(new long[] {mu.length}, mu));
        m.put("sigma", new org.diffsweep.metrics.Npz.Array(new long[] {mu.length, mu.length}, sigma));
        try (java.io.OutputStream o = java.nio.file.Files.newOutputStream(file)) {
            org.diffsweep.metrics.Npz.write(o, m);
        }
    }
}
