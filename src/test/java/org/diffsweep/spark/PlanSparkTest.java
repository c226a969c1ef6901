package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.cli.Main;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.jobs.PlanJob;
import org.diffsweep.jobs.SweepJob;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code diffsweep plan} on the tiny config (euler and heun at NFE 5 and 9 on one grid, 10 seeds in blocks of 4,
 * batches of 7), whose counts are known: heun takes 3 steps for 5 NFE and 5 for 9.
 */
@Tag("spark")
class PlanSparkTest {

    static String stdout(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return bytes.toString();
    }

    @Test
    void countsOfAFreshAndOfAPartlyCommittedSweep() throws Exception {
        Path dir = SparkTestSupport.tempDir("plan");
        Path out = dir.resolve("out");
        Path conf = dir.resolve("tiny.yaml");
        Files.writeString(conf, SparkTestSupport.tinyConfig(out.toString(), 10, 4, 31));
        SweepConfig c = SweepConfig.load(conf);
        Configuration hadoop = new Configuration();

        PlanJob.Plan fresh = PlanJob.plan(c, hadoop);
        assertEquals(12, fresh.blocks());
        assertEquals(0, fresh.committed());
        assertEquals((5 + 9 + 5 + 9) * 10, fresh.modelCalls());
        assertEquals(fresh.modelCalls(), fresh.modelCallsToRun());
        assertEquals(3 * (5 + 9 + 5 + 9), fresh.batchCalls(), "blocks of 4, 4, 2 seeds: one batch of up to 7 each");
        assertEquals(List.of(5, 9, 3, 5), fresh.configs().stream().map(p -> p.point().steps()).toList());
        assertEquals(List.of(5, 9, 5, 9), fresh.configs().stream().map(p -> p.point().nfe()).toList());

        int[] code = new int[1];
        String text = stdout(() -> code[0] = Main.execute("plan", conf.toString()));
        assertEquals(0, code[0], text);
        assertFalse(Files.exists(out), "plan writes nothing");
        for (SweepPoint p : c.points()) {
            assertTrue(text.contains("| " + p.id() + " | " + p.sampler() + " | " + p.grid() + " | " + p.nfeRequested()
                    + " | " + p.nfe() + " | " + p.steps() + " | 0 / 3 | " + p.nfe() * 10 + " | " + p.nfe() * 10 + " |"), text);
        }
        assertTrue(text.contains("3 blocks per config, 12 in all; 0 committed, 12 to run"), text);
        assertTrue(text.contains("280 in all, 280 still to run; network calls (two per model call of a guided config at "
                + "w ≠ 1): 280 in all; 84 network passes of up to 7 samples to run"), text);
        assertTrue(text.contains("time, a rough estimate:"), text);

        // Sweep, then lose two blocks: euler NFE 5's first (4 seeds) and heun NFE 9's last (2 seeds).
        SweepJob.run(SparkTestSupport.spark(), c, 0);
        SweepLayout layout = new SweepLayout(c.output());
        String euler5 = c.points().get(0).id();
        String heun9 = c.points().get(3).id();
        Files.delete(Path.of(layout.block(euler5, 10, 14).toUri().getPath()));
        Files.delete(Path.of(layout.block(heun9, 18, 20).toUri().getPath()));
        PlanJob.Plan partial = PlanJob.plan(c, hadoop);
        assertEquals(10, partial.committed());
        assertEquals(280, partial.modelCalls());
        assertEquals(5 * 4 + 9 * 2, partial.modelCallsToRun());
        assertEquals(5 + 9, partial.batchCalls());
        assertFalse(partial.complete());
        assertEquals(List.of(2, 3, 3, 2), partial.configs().stream().map(PlanJob.ConfigPlan::committed).toList());
        String after = stdout(() -> code[0] = Main.execute("plan", conf.toString()));
        assertTrue(after.contains("10 committed, 2 to run") && after.contains("280 in all, 38 still to run"), after);

        SweepJob.run(SparkTestSupport.spark(), c, 0);
        assertTrue(PlanJob.plan(c, hadoop).complete());
        assertTrue(stdout(() -> Main.execute("plan", conf.toString())).contains("sweep would sample nothing"));
    }

    /**
     * A guided config counts its network calls as the sweep makes them: at w = 2 each denoiser call evaluates two
     * branches (one pass of 2B rows with the null label), at w = 1 one; the time estimate multiplies the passes.
     */
    @Test
    void guidedConfigsCountTheirNetworkCalls() throws Exception {
        Path dir = SparkTestSupport.tempDir("plan-guided");
        String yaml = SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 10, 4, 33)
                .replace("seed: 33 }", "seed: 33, classes: 3 }") + "guidance: [1, 2]\n";
        SweepConfig c = SweepConfig.parse(yaml, "guided.yaml");
        PlanJob.Plan plan = PlanJob.plan(c, new Configuration());
        assertEquals(8, plan.configs().size());
        long nfe = 5 + 9 + 5 + 9;
        assertEquals(2 * nfe * 10, plan.modelCalls(), "denoiser calls: NFE × seeds at each scale");
        assertEquals((nfe + 2 * nfe) * 10, plan.networkCalls(), "w = 1: one network call per model call; w = 2: two");
        // blocks of 4, 4, 2 seeds: one batch of up to 7 each, and a pass per network call of each
        assertEquals(3 * (nfe + 2 * nfe), plan.batchCalls());
        for (PlanJob.ConfigPlan p : plan.configs()) {
            assertEquals((long) p.point().networkCalls() * 10, p.networkCalls());
            assertEquals(p.point().guidance() == 2.0 ? 2 * p.modelCalls() : p.modelCalls(), p.networkCalls());
        }
        String text = PlanJob.format(c, plan, 1.0, 1);
        assertTrue(text.contains("network calls (two per model call of a guided config at w ≠ 1): " + 3 * nfe * 10
                + " in all; " + 3 * 3 * nfe + " network passes"), text);
        assertTrue(text.contains("× " + 3 * 3 * nfe + " passes / 1 cores ≈ " + PlanJob.duration(3 * 3 * nfe)), text);
    }

    @Test
    void aBadConfigExitsTwoInOneLine() throws Exception {
        Path dir = SparkTestSupport.tempDir("plan-bad");
        Path conf = dir.resolve("bad.yaml");
        Files.writeString(conf, SparkTestSupport.tinyConfig(dir.resolve("out").toString(), 10, 4)
                .replace("nfe: [ 5, 9 ]", "nfe: [ 0 ]"));
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "plan",
                conf.toString());
        assertEquals(Main.EXIT_BAD_INPUT, code);
        assertEquals(1, err.toString().trim().lines().count(), err.toString());
        assertTrue(err.toString().contains("expected an NFE between 1 and 100000"), err.toString());
        assertFalse(Files.exists(dir.resolve("out")));
    }
}
