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

    /**
     * The offline statistics jobs refuse, before Spark starts, an --out on a file system that cannot be reached or
     * in a directory that cannot be written, and an earlier ref-stats Parquet directory they did not write.
     */
    @Test
    void statisticsOutputsThatCannotBeWritten() throws Exception {
        Path dir = SparkTestSupport.tempDir("stats-out");
        Path conf = dir.resolve("conf.yaml");
        Files.writeString(conf, config("[ { name: euler } ]", "[5]", "{ count: 10 }")
                .replace("OUT", dir.resolve("out").toString()));
        Path data = Files.writeString(dir.resolve("images-idx3-ubyte"), "unread");
        String[][] cases = {
            {"hdfs://127.0.0.1:1/stats/x", "hdfs://127.0.0.1:1/stats/x", "cannot reach hdfs://127.0.0.1:1/"},
            {"/proc/x", "file:/proc/x", "file:/proc is not writable"},
        };
        for (String[] c : cases) {
            for (String[] args : new String[][] {
                    {"norm-stats", conf.toString(), "--out", c[0] + ".csv"},
                    {"schedule", conf.toString(), "--out", c[0] + ".csv", "--steps", "4"},
                    {"ref-stats", "--data", data.toString(), "--out", c[0] + ".npz"}}) {
                long t0 = System.nanoTime();
                Result r = run(args);
                double seconds = (System.nanoTime() - t0) / 1e9;
                System.out.printf("%s --out %s refused in %.2f s%n", args[0], args[args[0].equals("schedule") ? 3
                        : args.length - 1], seconds);
                assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
                assertEquals(1, r.err().lines().count(), r.err());
                String ending = args[0].equals("ref-stats") ? ".npz" : ".csv";
                assertTrue(r.err().startsWith("diffsweep: error: " + args[0] + " --out " + c[1] + ending + ": "),
                        r.err());
                assertTrue(r.err().contains(c[2]) && r.err().contains("expected a"), r.err());
            }
        }
        assertFalse(Files.exists(Path.of("/proc/x.csv")) || Files.exists(Path.of("/proc/x.npz")));
        Path foreign = Files.createDirectories(dir.resolve("r.parquet"));
        Files.writeString(foreign.resolve("notes.txt"), "not ours");
        Result r = run("ref-stats", "--data", data.toString(), "--out", dir.resolve("r.npz").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("file:" + foreign + " from an earlier run holds notes.txt, which is not Spark's "
                + "Parquet output"), r.err());
        assertTrue(Files.exists(foreign.resolve("notes.txt")));
        assertFalse(Files.exists(dir.resolve("r.npz")) || Files.exists(dir.resolve("r.json")));
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
