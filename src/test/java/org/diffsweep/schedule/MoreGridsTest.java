package org.diffsweep.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.diffsweep.diffusion.DdpmProcess;
import org.diffsweep.diffusion.EdmProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MoreGridsTest {

    @Test
    void ddpmQuadraticIsQuadraticInTau() {
        DdpmProcess ddpm = new DdpmProcess();
        double[] s = TimeGrids.of("ddpm-quadratic", Map.of(), ddpm).sigmas(10);
        assertEquals(11, s.length);
        for (int i = 0; i < 10; i++) {
            double k = 10 - i;
            assertEquals(k * k / 100, ddpm.time(s[i]), 1e-12, "level " + i);
        }
        assertEquals(0, s[10], 0);
        assertEquals(ddpm.sigmaMax(), s[0], 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimeGrids.of("ddpm-quadratic", Map.of(), new EdmProcess()));
        assertTrue(e.getMessage().contains("expected vp-discrete or vp"), e.getMessage());
    }

    @Test
    void fileGridReadsOneOrSeveralSchedules(@TempDir Path dir) throws Exception {
        Path one = Files.writeString(dir.resolve("one.csv"), "# hand-written\nsigma\n80\n1.5\n0.01\n0\n");
        FileGrid g = FileGrid.read(one);
        assertEquals(3, g.minSteps());
        assertArrayEquals(new double[] {80, 1.5, 0.01, 0}, g.sigmas(3), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.sigmas(4));
        assertTrue(e.getMessage().contains("no schedule with 4 steps, expected one of [3]"), e.getMessage());

        Path many = Files.writeString(dir.resolve("many.csv"),
                "steps,index,sigma\n2,0,80\n2,1,1\n2,2,0\n3,0,80\n3,1,2\n3,2,0.1\n3,3,0\n");
        FileGrid m = FileGrid.read(many);
        assertArrayEquals(new double[] {80, 1, 0}, m.sigmas(2), 0);
        assertArrayEquals(new double[] {80, 2, 0.1, 0}, m.sigmas(3), 0);
    }

    @Test
    void fileGridRefusesBadSchedules(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"sigma\n80\n90\n0\n", "strictly decreasing"},
            {"sigma\n80\n1\n", "last sigma = 1.0, expected 0"},
            {"sig\n80\n0\n", "no 'sigma' column"},
            {"sigma\n80\nabc\n0\n", "line 3"},
            {"steps,sigma\n3,80\n3,0\n", "2 levels, expected steps + 1 = 4"},
        };
        for (String[] c : cases) {
            Path f = Files.writeString(dir.resolve("bad.csv"), c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileGrid.read(f));
            assertTrue(e.getMessage().contains(c[1]), c[1] + " not in: " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> FileGrid.read(dir.resolve("nope.csv")));
        assertTrue(missing.getMessage().contains("no such file"));
    }
}
