package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.commons.csv.CSVParser;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.report.Table;
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

        // the table states the reference: its name and hash, and n unknown (the file says n = 0, as pytorch-fid's
        // files, which hold no n at all)
        Map<String, String> row = fidRow(dir);
        assertEquals("unknown", row.get("n_reference"), row.toString());
        assertTrue(row.get("reference").startsWith("other.npz@"), row.toString());
        assertEquals("none", row.get("detector"), row.toString());

        RunJob.Outcome third = RunJob.run(spark, withNpz, 0);
        assertFalse(third.sweepRan() || third.fidRan(), "the same reference reuses the finished table");
        RunJob.Outcome back = RunJob.run(spark, exact, 0);
        assertTrue(back.fidRan(), "back to the exact reference: the table is remade");
        assertEquals(againstExact, back.table().get(0).fid(), 0);
        assertEquals("exact", fidRow(dir).get("n_reference"));

        // statistics of 500 samples (as ref-stats writes them): their n is stated
        Path counted = dir.resolve("counted.npz");
        try (OutputStream o = Files.newOutputStream(counted)) {
            Npz.write(o, Npz.of(new Gaussian(other.mean(), other.cov(), 500)));
        }
        RunJob.run(spark, SweepConfig.parse(yaml + "reference: " + counted + "\n", "counted reference"), 0);
        assertEquals("500", fidRow(dir).get("n_reference"));
    }

    /** The first row of OUT/fid/fid.csv by column name. */
    private static Map<String, String> fidRow(Path dir) throws Exception {
        try (CSVParser p = CSVParser.parse(dir.resolve("out/fid/fid.csv"), StandardCharsets.UTF_8,
                Table.CSV.builder().setHeader().setSkipHeaderRecord(true).get())) {
            return p.getRecords().get(0).toMap();
        }
    }
}
