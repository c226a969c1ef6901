package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The reference is not part of a sweep's identity: a finished sweep is reused against another reference (only the
 * fid stage reruns), and a finished fid table is reused only against the reference it was measured with.
 */
@Tag("spark")
class ReferenceReuseSparkTest {

    @Test
    void anotherReferenceReusesTheSweepAndRedoesOnlyTheFidTable() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("ref-reuse");
        String yaml = SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 12, 6, 41)
                .replace("samplers: [ { name: euler }, { name: heun } ]", "samplers: [ { name: euler } ]")
                .replace("nfe: [ 5, 9 ]", "nfe: [ 5 ]");
        SweepConfig exact = SweepConfig.parse(yaml, "exact reference");
        RunJob.Outcome first = RunJob.run(spark, exact, 0);
        assertTrue(first.sweepRan() && first.fidRan());

        // statistics of another Gaussian, in a .npz
        Gaussian other = new Gaussian(new double[] {0.3, 0, 0, 0}, new double[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0,
                0, 0, 0, 1}, 0);
        Path npz = dir.resolve("other.npz");
        try (OutputStream o = Files.newOutputStream(npz)) {
            Npz.write(o, Npz.of(other));
        }
        SweepConfig withNpz = SweepConfig.parse(yaml + "reference: " + npz + "\n", "npz reference");
        RunJob.Outcome second = RunJob.run(spark, withNpz, 0);
        assertFalse(second.sweepRan(), "the finished sweep must be reused");
        assertTrue(second.fidRan(), "the fid table of another reference must be remade");
        double againstExact = first.table().get(0).fid();
        double againstOther = second.table().get(0).fid();
        assertTrue(Math.abs(againstExact - againstOther) > 0.05, againstExact + " vs " + againstOther);

        RunJob.Outcome third = RunJob.run(spark, withNpz, 0);
        assertFalse(third.sweepRan() || third.fidRan(), "the same reference reuses the finished table");
        RunJob.Outcome back = RunJob.run(spark, exact, 0);
        assertTrue(back.fidRan(), "back to the exact reference: the table is remade");
        assertEquals(againstExact, back.table().get(0).fid(), 0);
    }
}
