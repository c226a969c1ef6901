package org.diffsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.Test;

/**
 * At the default log level a command that loads a network writes nothing to stderr when it succeeds, and exactly
 * its one error line when it refuses bad input: no engine notices (DJL's CUDA probe, its repository, models that
 * were not closed) around the line that matters. Each command runs in its own JVM, as a user runs it, so that what
 * the libraries log and print at start and exit is seen too.
 */
class QuietStderrTest {

    record Result(int code, String out, String err) {
    }

    static Result main(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-D") || a.startsWith("-XX:+Ignore")).toList());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putIfAbsent("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("diffsweep " + String.join(" ", args) + " did not finish in 300 s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static Path config(Path dir, String model) throws Exception {
        Path ref = dir.resolve("ref.npz");
        try (OutputStream o = Files.newOutputStream(ref)) {
            Npz.write(o, Npz.of(new Gaussian(new double[2], new double[] {1, 0, 0, 1}, 0)));
        }
        return Files.writeString(dir.resolve("conf.yaml"), """
                name: quiet
                output: %s
                model: { type: djl, path: %s, shape: [1, 2, 2], batch: 3 }
                detector: { path: %s, dim: 2 }
                process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
                seeds: { count: 4 }
                block_size: 4
                samplers: [ { name: euler } ]
                grids: [ { name: edm } ]
                nfe: [3]
                reference: %s
                """.formatted(dir.resolve("out"), model, resource("tiny_features.pt"), ref));
    }

    static String resource(String file) throws Exception {
        return Path.of(QuietStderrTest.class.getResource("/models/" + file).toURI()).toString();
    }

    @Test
    void aCommandThatLoadsNetworksWritesNothingToStderr() throws Exception {
        Path dir = SparkTestSupport.tempDir("quiet-ok");
        Result r = main(dir, "plan", config(dir, resource("tiny.pt")).toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err(), "stderr of a successful plan");
        assertTrue(r.out().contains("quiet"), r.out());
    }

    @Test
    void badNetworksGetTheirOneLineAndNothingElse() throws Exception {
        Path dir = SparkTestSupport.tempDir("quiet-bad");
        Path fake = Files.writeString(dir.resolve("fake.pt"), "this is not a network\n");
        for (String[] c : new String[][] {{resource("tiny_nan.pt"), "returned NaN"},
                {fake.toString(), "cannot load"}}) {
            Result r = main(dir, "run", config(dir, c[0]).toString());
            assertEquals(Main.EXIT_BAD_INPUT, r.code(), r.err());
            List<String> lines = r.err().lines().toList();
            assertEquals(1, lines.size(), "stderr: " + r.err());
            assertTrue(lines.get(0).startsWith("diffsweep: error: ") && lines.get(0).contains(c[1]), r.err());
            assertFalse(Files.exists(dir.resolve("out")), "nothing may be written");
        }
    }
}
