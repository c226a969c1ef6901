package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.io.Store;
import org.diffsweep.jobs.FidJob;
import org.diffsweep.jobs.RunJob;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The main demo's pipeline end to end on a few seeds: conf/fmnist-demo.yaml with the shipped denoiser, detector
 * and reference statistics, cut to 16 seeds and NFE 5.
 */
@Tag("spark")
class FmnistDemoSparkTest {

    @Test
    void demoPipelineRunsOnFewSeeds() throws Exception {
        Path out = SparkTestSupport.tempDir("fmnist").resolve("out");
        String yaml = Files.readString(Path.of("conf/fmnist-demo.yaml"))
                .replace("seeds: { start: 0, count: 1000 }", "seeds: { start: 0, count: 16 }")
                .replace("block_size: 250", "block_size: 8")
                .replace("batch_size: 250", "batch_size: 8")
                .replace("grid_images: 64", "grid_images: 8")
                .replace("nfe: [5, 10, 20]", "nfe: [5]")
                .replace("output: ../runs/fmnist-demo", "output: " + out)
                .replace("subset_size: 500", "subset_size: 8")
                .replace("samples: 1000", "samples: 16");
        assertTrue(yaml.contains("count: 16") && yaml.contains("nfe: [5]") && yaml.contains("output: " + out)
                && yaml.contains("subset_size: 8") && yaml.contains("samples: 16"), "the demo config changed shape");
        // read as if it were the file in conf/: its model paths are relative to that folder
        SweepConfig config = SweepConfig.parse(yaml, "fmnist-demo (16 seeds)",
                Store.local().relativeTo("file:" + Path.of("conf").toAbsolutePath()));
        RunJob.Outcome outcome = RunJob.run(SparkTestSupport.spark(), config, 0);
        assertEquals(4, outcome.table().size());
        for (FidJob.Entry e : outcome.table()) {
            assertTrue(Double.isFinite(e.fid()) && e.fid() > 0, e.point().id() + ": FID " + e.fid());
            assertEquals(16, e.n());
            assertTrue(Files.size(out.resolve("sweep/grids/" + e.point().id() + ".png")) > 100);
        }
        // the demo's metrics stage ran against the shipped real features: one row per config
        List<String> metrics = Files.readAllLines(out.resolve("metrics/metrics.csv"));
        assertEquals(5, metrics.stream().filter(l -> !l.isBlank() && !l.startsWith("#")).count(), metrics.toString());
        assertTrue(Files.exists(out.resolve("metrics/_COMPLETE")));
    }
}
