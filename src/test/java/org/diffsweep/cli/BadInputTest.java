package org.diffsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.Test;

/**
 * Bad input gets one clear line naming the bad value and what was expected, exit code 2, and no output
 * marked complete. None of these cases starts Spark: the config is checked first. The catalogue of single bad
 * values is {@link BadInputCatalogTest}; these are the cases with more to check.
 */
class BadInputTest {

    record Result(int code, String err) {
    }

    static Result run(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
        return new Result(code, err.toString().trim());
    }

    static String config(String samplers, String nfe, String seeds) {
        return """
                name: bad
                output: OUT
                model: { type: gmm, random: { components: 2, dim: 3, seed: 1 } }
                seeds: %s
                samplers: %s
                grids: [ { name: edm } ]
                nfe: %s
                """.formatted(seeds, samplers, nfe);
    }

    /** norm-stats refuses, before Spark starts, a shards directory it would have to replace but did not write. */
    /** A schedule or norm table still to be made: sweep, fid and oracle refuse it (run would make it). */
    @Test
    void missingStatisticsAreRefusedBySweepFidAndOracle() throws Exception {
        Path dir = SparkTestSupport.tempDir("nostats");
        Path out = dir.resolve("out");
        Path conf = dir.resolve("conf.yaml");
        Files.writeString(conf, config("[ { name: euler } ]", "[5]", "{ count: 10 }")
                .replace("grids: [ { name: edm } ]", "grids: [ { name: file, path: " + dir.resolve("s.csv") + " } ]")
                .replace("OUT", out.toString()));
        for (String command : new String[] {"sweep", "fid", "oracle"}) {
            Result r = run(command, conf.toString());
            assertEquals(Main.EXIT_BAD_INPUT, r.code(), command + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains("grid file file:" + dir.resolve("s.csv") + " does not exist, expected it made "
                    + "first"), r.err());
        }
        Files.writeString(conf, config("[ { name: deis-sn, order: 2, norm: " + dir.resolve("t.csv") + " } ]", "[5]",
                "{ count: 10 }").replace("OUT", out.toString()));
        Result r = run("sweep", conf.toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("deis-sn norm table file:" + dir.resolve("t.csv") + " does not exist"), r.err());
        assertFalse(Files.exists(out), "nothing may be written");
    }

    @Test
    void normStatsShardsThatCannotBeReplaced() throws Exception {
        Path dir = SparkTestSupport.tempDir("norm-out");
        Path conf = dir.resolve("conf.yaml");
        Files.writeString(conf, config("[ { name: euler } ]", "[5]", "{ count: 10 }")
                .replace("OUT", dir.resolve("out").toString()));
        Path shards = Files.createDirectories(dir.resolve("n.shards.parquet/nested"));
        Result r = run("norm-stats", conf.toString(), "--out", dir.resolve("n.csv").toString(), "--seeds", "4");
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("diffsweep: error: norm-stats --out "), r.err());
        assertTrue(r.err().contains("n.shards.parquet from an earlier run holds nested"), r.err());
        assertTrue(Files.isDirectory(shards));
        assertFalse(Files.exists(dir.resolve("n.csv")));
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        r = run("norm-stats", conf.toString(), "--out", file.resolve("n.csv").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("is a file, expected a writable directory"), r.err());
    }

    @Test
    void missingModelFileIsNamed() throws Exception {
        Path dir = SparkTestSupport.tempDir("nomodel");
        Path conf = dir.resolve("conf.yaml");
        Files.writeString(conf, """
                name: nomodel
                output: %s
                model: { type: djl, path: %s, shape: [1, 28, 28] }
                reference: %s
                seeds: { count: 4 }
                samplers: [ { name: euler } ]
                grids: [ { name: edm } ]
                nfe: [ 5 ]
                """.formatted(dir.resolve("out"), dir.resolve("missing.pt"), dir.resolve("ref.npz")));
        Result r = run("run", conf.toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertTrue(r.err().contains("model file file:" + dir.resolve("missing.pt") + " not found"), r.err());
        assertFalse(Files.exists(dir.resolve("out/sweep/_COMPLETE")));
        try (var files = Files.walk(dir)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".parquet")));
        }
    }

    @Test
    void missingConfigFileAndUnknownCommand() {
        Result r = run("run", "/nonexistent/conf.yaml");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("/nonexistent/conf.yaml: no such file"), r.err());
        assertEquals(Main.EXIT_BAD_INPUT, run("swep", "x.yaml").code());
    }

    @Test
    void helpExplainsTheOptions() {
        StringWriter out = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "run", "--help");
        assertEquals(0, code);
        for (String option : new String[] {"--out", "--master", "--partitions", "CONFIG"}) {
            assertTrue(out.toString().contains(option), option + " not in help");
        }
    }
}
