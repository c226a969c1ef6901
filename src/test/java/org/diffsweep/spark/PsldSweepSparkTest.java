package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.FidJob;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.jobs.SweepJob;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The PSLD family through the same sweep and fid jobs as the EDM family, on the exact oracle and the network. */
@Tag("spark")
class PsldSweepSparkTest {

    static String oracleConfig(String output, int blockSize, int batch) {
        return """
                name: psld-tiny
                output: %s
                model: { type: gmm, random: { components: 3, dim: 4, sigma_data: 0.5, seed: 31 } }
                process: { name: psld, beta_min: 8, beta_max: 8, gamma: 0.02, nu: 4.02, kappa: 0.04 }
                seeds: { start: 10, count: 20 }
                block_size: %d
                batch_size: %d
                samplers:
                  - { name: sscs }
                  - { name: splitting, scheme: OBAB, variant: reduced, label: r-obab }
                  - { name: splitting, scheme: OBA, variant: naive, label: n-oba, vs: r-obab }
                grids: [ { name: quadratic } ]
                nfe: [ 9, 30 ]
                """.formatted(output, blockSize, batch);
    }

    @Test
    void oracleFeaturesDoNotDependOnPartitionsBlocksOrBatchesAndReachTheFidTable() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("psld");
        String a = dir.resolve("a").toString();
        String b = dir.resolve("b").toString();
        SweepJob.run(spark, SweepConfig.parse(oracleConfig(a, 8, 3), "a"), 1);
        SweepJob.run(spark, SweepConfig.parse(oracleConfig(b, 5, 7), "b"), 3);
        List<Row> rows = SweepSparkTest.features(spark, a);
        assertEquals(6 * 20, rows.size());
        SweepSparkTest.assertSameRows(rows, SweepSparkTest.features(spark, b));
        String manifest = Files.readString(Path.of(a, "sweep", "manifest.json"));
        assertTrue(manifest.contains("\"tau\""), manifest);
        assertTrue(manifest.contains("psld(beta_min=8"), manifest);
        List<FidJob.Entry> table = RunJob.run(spark, SweepConfig.parse(oracleConfig(a, 8, 3), "a"), 0).table();
        assertEquals(6, table.size());
        String md = Files.readString(Path.of(a, "fid", "fid.md"));
        assertTrue(md.contains("splitting(OBA,naive,lambda_s=1)") && md.contains("n-oba vs r-obab"), md);
    }
}
