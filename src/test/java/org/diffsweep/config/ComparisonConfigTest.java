package org.diffsweep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffsweep.spark.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labels, per-sampler grids and {@code vs:} comparisons in a sweep config. */
class ComparisonConfigTest {

    @TempDir
    Path dir;

    private static final String HEAD = """
            name: cmp
            model: { type: gmm, random: { components: 2, dim: 3, seed: 1 } }
            seeds: { count: 10 }
            nfe: [4, 6]
            """;

    private Path table(String name, double scale) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "sigma,r\n80," + (0.8 * scale) + "\n1," + (0.7 * scale) + "\n0.002," + (0.5 * scale)
                + "\n");
        return p;
    }

    private SweepConfig parse(String body) {
        return SweepConfig.parse(HEAD + body, "test.yaml");
    }

    @Test
    void samplersRunOnTheirOwnGridsAndComparisonsPairCellsOnTheSameSeeds() throws Exception {
        SweepConfig c = parse("""
                samplers:
                  - { name: deis, order: 2, label: deis-2 }
                  - { name: deis-sn, order: 2, norm: %s, label: deis-sn-2, vs: deis-2, grids: [rho7] }
                  - { name: euler, grids: [rho7, rho3] }
                grids:
                  - { name: edm, rho: 7, label: rho7 }
                  - { name: edm, rho: 3, label: rho3, vs: rho7 }
                """.formatted(table("t.csv", 1)));
        // deis-2 on both grids, deis-sn-2 on rho7 only, euler on both: (2 + 1 + 2) grids × 2 NFE.
        assertEquals(10, c.points().size());
        List<Comparison> cmp = c.comparisons();
        // deis-sn-2 vs deis-2 on rho7 (2 NFE); rho3 vs rho7 for deis-2 and euler (2 samplers × 2 NFE).
        assertEquals(6, cmp.size(), cmp.toString());
        Comparison first = cmp.get(0);
        assertEquals("deis-sn-2 vs deis-2 on rho7", first.name());
        assertEquals(4, first.nfeRequested());
        SweepPoint cand = point(c, first.candidateId());
        SweepPoint base = point(c, first.baselineId());
        assertTrue(cand.sampler().startsWith("deis-sn("));
        assertTrue(base.sampler().startsWith("deis("));
        assertEquals(base.grid(), cand.grid());
        assertEquals("deis-sn-2 | rho7", cand.label());
        assertEquals("deis-2 on rho3 vs rho7", cmp.get(2).name());
        assertEquals("deis-2 | rho3", point(c, cmp.get(2).candidateId()).label());
        assertEquals(4, base.nfeRequested());
        Comparison grid = cmp.stream().filter(x -> x.name().equals("euler on rho3 vs rho7")).findFirst().orElseThrow();
        assertEquals(point(c, grid.candidateId()).sampler(), point(c, grid.baselineId()).sampler());
        assertTrue(point(c, grid.candidateId()).grid().contains("rho=3"));
        assertTrue(point(c, grid.baselineId()).grid().contains("rho=7"));
    }

    private static SweepPoint point(SweepConfig c, String id) {
        return c.points().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void badLabelsAndReferencesAreRefusedNamingTheValue() {
        String grids = "grids: [ { name: edm, label: rho7 } ]\n";
        assertMessage(parse0("samplers: [ { name: euler, vs: nope } ]\n" + grids), "unknown sampler label 'nope'");
        assertMessage(parse0("samplers: [ { name: euler, grids: [rho9] } ]\n" + grids), "unknown grid label 'rho9'",
                "rho7");
        assertMessage(parse0("samplers: [ { name: euler, label: a, vs: a } ]\n" + grids), "'a' is this sampler itself");
        assertMessage(parse0("samplers: [ { name: euler, label: a }, { name: heun, label: a } ]\n" + grids),
                "'a' labels two samplers");
        assertMessage(parse0("samplers: [ { name: euler, label: 'a b' } ]\n" + grids), "'a b', expected letters");
        assertMessage(parse0("""
                samplers: [ { name: euler, label: e, grids: [g1] }, { name: heun, vs: e, grids: [g2] } ]
                grids: [ { name: edm, label: g1 }, { name: edm, rho: 3, label: g2 } ]
                """), "runs on none of this sampler's grids");
        assertMessage(parse0("""
                samplers: [ { name: euler, grids: [g1] } ]
                grids: [ { name: edm, label: g1 }, { name: edm, rho: 3, label: g2, vs: g1 } ]
                """), "no sampler runs on both grids");
    }

    private java.util.function.Supplier<SweepConfig> parse0(String body) {
        return () -> parse(body);
    }

    private static void assertMessage(java.util.function.Supplier<SweepConfig> s, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, s::get);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void theManifestChangesWithTheNumbersOfTheScoreTableNotJustItsName() throws Exception {
        String body = """
                samplers: [ { name: deis-sn, order: 2, norm: %s } ]
                grids: [ { name: edm } ]
                """;
        Path a = table("same.csv", 1);
        String planA = Manifest.plan(parse(body.formatted(a))).toString();
        String planA2 = Manifest.plan(parse(body.formatted(a))).toString();
        assertEquals(planA, planA2);
        table("same.csv", 1.01);
        String planB = Manifest.plan(parse(body.formatted(a))).toString();
        assertNotEquals(planA, planB);
        assertTrue(planA.contains("score_table"), planA);
    }

    @Test
    void gridsAreClampedToTheModelsNoiseRangeAndSaySo() {
        SweepConfig c = parse("""
                process: { name: edm, sigma_min: 0.002, sigma_max: 80 }
                samplers: [ { name: euler } ]
                grids: [ { name: edm, sigma_max: 100 }, { name: edm }, { name: loglinear, sigma_min: 0.001 } ]
                """);
        SweepPoint high = c.points().get(0);
        assertTrue(high.grid().endsWith("clamped to [0.002, 80]"), high.grid());
        double[] s = high.levels();
        assertEquals(80, s[0], 0);
        double[] unclamped = org.diffsweep.schedule.TimeGrids.of("edm", java.util.Map.of("sigma_max", 100.0),
                c.edmFamily("test").processObject()).sigmas(4);
        assertEquals(unclamped[1], s[1], 0); // only the level outside moved
        assertEquals(0, s[4], 0);
        SweepPoint inside = c.points().get(2);
        assertTrue(!inside.grid().contains("clamped"), inside.grid());
        SweepPoint low = c.points().get(4);
        assertTrue(low.grid().contains("clamped"), low.grid());
        assertEquals(0.002, low.levels()[3], 0);
        // Two levels below sigma_min would collapse onto one: refused, naming the grid.
        assertMessage(parse0("""
                process: { name: edm, sigma_min: 0.002, sigma_max: 80 }
                samplers: [ { name: euler } ]
                grids: [ { name: loglinear, sigma_min: 0.00001, sigma_max: 0.001 } ]
                """), "clamped to [0.002, 80]", "expected a strictly decreasing grid");
    }

    /** A rerun must find the same plan: nothing in it may depend on object identity, for any process. */
    @Test
    void theManifestPlanIsTheSameTextOnEveryParseForEveryProcess() {
        for (String process : new String[] {"{ name: edm }", "{ name: vp }", "{ name: vp-discrete }"}) {
            String yaml = "process: " + process + "\nsamplers: [ { name: euler }, { name: deis, order: 2 } ]\n"
                    + "grids: [ { name: edm } ]\n";
            String a = Manifest.plan(parse(yaml)).toString();
            String b = Manifest.plan(parse(yaml)).toString();
            assertEquals(a, b, process);
            assertTrue(!a.contains("@"), a);
        }
    }
}
