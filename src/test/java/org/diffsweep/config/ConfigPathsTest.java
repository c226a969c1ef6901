package org.diffsweep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffsweep.io.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Relative paths in a config file resolve against the folder that holds the file, not the working directory (the
 * tests run in the repository root, never in a temporary folder); absolute paths and URIs are kept; a config parsed
 * from text has no folder and keeps the working directory.
 */
class ConfigPathsTest {

    static final String YAML = """
            name: paths
            output: OUTPUT
            model: { type: djl, path: net.pt, shape: [1, 28, 28] }
            detector: { path: sub/detector.pt, dim: 128 }
            reference: ../shared/ref.npz
            reference_features: ref.features.parquet
            metrics: { kid: {} }
            seeds: { count: 4 }
            samplers:
              - name: euler
              - { name: deis-sn, order: 2, variant: tab, norm: tables/n.csv, label: deis-sn-2 }
            grids:
              - { name: edm, rho: 7 }
              - { name: file, path: s.csv, label: opt }
              - name: file:s2.csv
            nfe: [5]
            """;

    static String file(Path p) {
        return "file:" + p.toAbsolutePath().normalize();
    }

    static String cwd(String relative) {
        return file(Path.of(relative));
    }

    @Test
    void relativePathsInAFileResolveAgainstItsFolder(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("configs/a b"));
        Path conf = Files.writeString(dir.resolve("c.yaml"), YAML.replace("OUTPUT", "out"));
        SweepConfig c = SweepConfig.load(conf);
        assertTrue(!dir.toAbsolutePath().startsWith(Path.of("").toAbsolutePath()), "the test must not run in " + dir);
        assertEquals(file(dir.resolve("out")), c.output());
        assertEquals(file(dir.resolve("net.pt")), c.model().net().path());
        assertEquals(file(dir.resolve("sub/detector.pt")), c.detector().path());
        assertEquals(file(tmp.resolve("configs/shared/ref.npz")), c.reference());
        assertEquals(file(dir.resolve("ref.features.parquet")), c.metrics().referenceFeatures());
        assertEquals(List.of(file(dir.resolve("tables/n.csv"))), c.pendingNormTables());
        assertEquals(List.of(file(dir.resolve("s.csv")), file(dir.resolve("s2.csv"))),
                List.copyOf(c.pendingSchedules().keySet()));

        // the same config loaded through a relative path to it: the same files
        Path rel = Path.of("").toAbsolutePath().relativize(conf.toAbsolutePath());
        assertEquals(c.output(), SweepConfig.load(rel).output());
        assertEquals(c.model().net().path(), SweepConfig.load(rel).model().net().path());
    }

    @Test
    void absolutePathsAndUrisAreKept(@TempDir Path tmp) throws Exception {
        Path elsewhere = tmp.resolve("elsewhere");
        String yaml = YAML.replace("OUTPUT", "file:" + elsewhere.resolve("out"))
                .replace("path: net.pt", "path: " + elsewhere.resolve("net.pt"))
                .replace("norm: tables/n.csv", "norm: file://" + elsewhere.resolve("n.csv"));
        Path conf = Files.writeString(Files.createDirectories(tmp.resolve("conf")).resolve("c.yaml"), yaml);
        SweepConfig c = SweepConfig.load(conf);
        assertEquals(file(elsewhere.resolve("out")), c.output());
        assertEquals(file(elsewhere.resolve("net.pt")), c.model().net().path());
        assertEquals(List.of(file(elsewhere.resolve("n.csv"))), c.pendingNormTables());
    }

    @Test
    void theDefaultOutputIsUnderTheWorkingDirectory(@TempDir Path tmp) throws Exception {
        Path conf = Files.writeString(tmp.resolve("c.yaml"), YAML.replace("output: OUTPUT\n", ""));
        assertEquals(cwd("runs/paths"), SweepConfig.load(conf).output(), "no path the file names");
    }

    @Test
    void textHasNoFolderAndKeepsTheWorkingDirectory() {
        SweepConfig c = SweepConfig.parse(YAML.replace("OUTPUT", "out"), "text");
        assertEquals(cwd("out"), c.output());
        assertEquals(cwd("net.pt"), c.model().net().path());
        assertEquals(cwd("../shared/ref.npz"), c.reference());
        assertEquals(List.of(cwd("s.csv"), cwd("s2.csv")), List.copyOf(c.pendingSchedules().keySet()));
    }

    @Test
    void aStoreViewResolvesOnlyRelativePaths() {
        Store base = Store.local().relativeTo("file:/data/conf");
        assertEquals("file:/data/conf/x.csv", base.qualify("x.csv"));
        assertEquals("file:/data/models/x.pt", base.qualify("../models/x.pt"));
        assertEquals("file:/abs/x.csv", base.qualify("/abs/x.csv"));
        assertEquals("file:/abs/x.csv", base.qualify("file:/abs/x.csv"));
        assertEquals("file:/other/y", base.relativeTo("file:/other").qualify("y"), "a new base replaces the old");
        assertEquals(cwd("y"), base.fromWorkingDirectory().qualify("y"));
    }
}
