package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.diffsweep.cli.Main;
import org.diffsweep.schedule.FileGrid;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The command line with a config in a folder of its own, run from the repository root: the paths the config names
 * resolve against its folder, the paths the command line names ({@code --out}) against the working directory.
 */
@Tag("spark")
class ConfigFolderSparkTest {

    static String cli(String... args) {
        SparkTestSupport.spark(); // the commands reuse the tests' session
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return out.toString();
    }

    /** A path from the working directory. */
    static Path fromCwd(Path p) {
        Path rel = Path.of("").toAbsolutePath().relativize(p.toAbsolutePath());
        assertFalse(rel.isAbsolute());
        return rel;
    }

    @Test
    void outputBesideTheConfigAndOutUnderTheWorkingDirectory() throws Exception {
        Path dir = SparkTestSupport.tempDir("config-folder");
        Path conf = Files.createDirectories(dir.resolve("conf")).resolve("tiny.yaml");
        Files.writeString(conf, SparkTestSupport.tinyConfig("../runs/tiny", 6, 6, 41));

        cli("sweep", fromCwd(conf).toString(), "--master", "local[1]");
        assertTrue(Files.isDirectory(dir.resolve("runs/tiny/sweep")), "the config's output lands beside its folder");
        assertFalse(Files.exists(Path.of("../runs/tiny")), "not against the working directory");

        Path cliOut = fromCwd(dir.resolve("cli-out"));
        cli("sweep", conf.toString(), "--out", cliOut.toString(), "--master", "local[1]");
        assertTrue(Files.isDirectory(dir.resolve("cli-out/sweep")), "--out is against the working directory");
        assertFalse(Files.exists(dir.resolve("conf").resolve(cliOut)), "not against the config's folder");
    }

    @Test
    void scheduleMatchesOutAgainstTheSchedulesTheConfigNames() throws Exception {
        Path dir = SparkTestSupport.tempDir("config-schedule");
        Path conf = Files.createDirectories(dir.resolve("conf")).resolve("tiny.yaml");
        // heun alone takes the schedule the config names beside it (3 and 5 steps for NFE 5 and 9); euler would add 9
        Files.writeString(conf, SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 6, 6, 42)
                .replace("samplers: [ { name: euler }, { name: heun } ]",
                        "samplers: [ { name: euler, grids: [r7] }, { name: heun, grids: [opt] } ]")
                .replace("grids: [ { name: edm, rho: 7 } ]",
                        "grids: [ { name: edm, rho: 7, label: r7 }, { name: file, path: s.csv, label: opt } ]"));
        cli("schedule", conf.toString(), "--out", fromCwd(dir.resolve("conf/s.csv")).toString(), "--seeds", "8",
                "--shard", "4", "--points", "12");
        FileGrid grid = FileGrid.read(dir.resolve("conf/s.csv"));
        assertEquals(Set.of(3, 5), grid.schedules().keySet(), "the step counts of the config's pending schedule");
    }

    @Test
    void aModelDetectorAndReferenceBesideTheConfigAreFound() throws Exception {
        Path dir = SparkTestSupport.tempDir("config-model");
        Path conf = Files.createDirectories(dir.resolve("conf")).resolve("net.yaml");
        Files.copy(Path.of("models/fmnist-edm-denoiser.pt"), dir.resolve("conf/net.pt"));
        Path models = Files.createDirectories(dir.resolve("models"));
        Files.copy(Path.of("models/fmnist-features.pt"), models.resolve("features.pt"));
        Files.copy(Path.of("models/fmnist-train-features.npz"), models.resolve("ref.npz"));
        Files.writeString(conf, """
                name: net
                output: out
                model: { type: djl, path: net.pt, shape: [1, 28, 28], batch: 4 }
                detector: { path: ../models/features.pt, dim: 128, batch: 4 }
                reference: ../models/ref.npz
                seeds: { count: 4 }
                samplers: [ { name: euler } ]
                grids: [ { name: edm, rho: 7 } ]
                nfe: [ 2 ]
                """);
        String plan = PlanSparkTest.stdout(() -> cli("plan", fromCwd(conf).toString()));
        assertTrue(plan.contains(dir.resolve("conf/out").toAbsolutePath().toString()), plan);
    }
}
