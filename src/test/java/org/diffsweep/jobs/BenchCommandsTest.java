package org.diffsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffsweep.cli.Main;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code bench} and {@code bench-fid} run as shipped, at a tiny size (their figures are not checked here). */
@Tag("spark")
class BenchCommandsTest {

    private static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertEquals(0, rc, String.join(" ", args) + ":\n" + out);
        return out;
    }

    @Test
    void benchRunsAsShipped() {
        String out = run("bench", "--batch", "4", "--nfe", "2", "--rounds", "1", "--python", "none");
        assertTrue(out.contains("bench round 1:"), out);
        assertTrue(out.contains("(c) Spark sweep"), out);
    }

    @Test
    void benchFidRunsAsShippedAndAnotherShapeDoesNotMeetTheFirst() throws Exception {
        Path out = Files.createTempDirectory("bench-fid-test");
        String first = run("bench-fid", "--configs", "2", "--seeds", "40", "--dim", "8", "--block-size", "10",
                "--rounds", "2", "--python", "none", "--out", out.toString());
        assertTrue(first.contains("round 1: diffsweep fid process"), first);
        assertTrue(first.contains("round 2: diffsweep fid process"), first);
        assertTrue(first.contains("fid stage of 2 configs in this JVM"), first);
        String second = run("bench-fid", "--configs", "1", "--seeds", "30", "--dim", "8", "--block-size", "10",
                "--rounds", "1", "--python", "none", "--no-stage", "--out", out.toString());
        assertTrue(second.contains("n = 30"), second);
        assertTrue(Files.isDirectory(out.resolve("c2-n40-d8-b10")));
        assertTrue(Files.isDirectory(out.resolve("c1-n30-d8-b10")));
    }

    @Test
    void bothSidesOfBenchFidRunWithoutTheBlasPins() {
        ProcessBuilder pb = new ProcessBuilder("true");
        pb.environment().put("OPENBLAS_CORETYPE", "Haswell");
        pb.environment().put("OPENBLAS_L2_SIZE", "512");
        pb.environment().put("OPENBLAS_NUM_THREADS", "2");
        assertEquals("OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE=512", FidBench.pinnedBlas(pb.environment()));
        FidBench.unpinBlas(pb);
        assertEquals("", FidBench.pinnedBlas(pb.environment()));
        assertEquals("2", pb.environment().get("OPENBLAS_NUM_THREADS"), "only the pins go");
    }
}
