package org.diffsweep.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffsweep.spark.Manifest;
import org.junit.jupiter.api.Test;

/** The {@code labels}, {@code guidance} and {@code guide} keys, and what they leave unchanged. */
class LabelsConfigTest {

    private static final String GMM = """
            name: cond
            output: /tmp/diffsweep-labels-config
            model: { type: gmm, random: { components: 4, dim: 2, classes: 2, seed: 3 } }
            seeds: { count: 10 }
            samplers: [ { name: euler, label: e }, { name: heun, label: h, vs: e } ]
            grids: [ { name: edm } ]
            nfe: [5, 9]
            """;

    private static SweepConfig parse(String yaml) {
        return SweepConfig.parse(yaml, "test");
    }

    /**
     * A config without labels or guidance has the ids and the plan it always had: the ids of conf/gmm-demo.yaml are
     * those of its committed outputs (pinned here from a run before labels existed), and its plan names neither.
     */
    @Test
    void unconditionalConfigsKeepTheirIdsAndPlan() throws Exception {
        SweepConfig demo = SweepConfig.load(Path.of("conf/gmm-demo.yaml"));
        assertEquals(List.of("euler_edm_nfe5_11153d", "euler_edm_nfe10_b4f0a8", "euler_edm_nfe20_2e8dac",
                "euler_edm_nfe50_bd664a", "heun_edm_nfe5_decc89", "heun_edm_nfe10_7a3028", "heun_edm_nfe20_51b46e",
                "heun_edm_nfe50_75898f"), demo.points().stream().map(SweepPoint::id).toList());
        assertNull(demo.labels());
        var plan = Manifest.plan(demo);
        assertFalse(plan.has("labels") || plan.has("guide"));
        plan.get("configs").forEach(c -> assertFalse(c.has("guidance") || c.has("network_calls")));
        demo.points().forEach(p -> assertEquals(p.nfe(), p.networkCalls()));
    }

    @Test
    void aConditionalModelDrawsUniformLabelsByDefault() {
        SweepConfig c = parse(GMM);
        assertEquals(2, c.model().classes());
        assertArrayEquals(new int[] {0, 1}, c.labels().classes());
        assertArrayEquals(new int[] {1}, parse(GMM + "labels: 1\n").labels().classes());
        assertArrayEquals(new int[] {1, 0, 1}, parse(GMM + "labels: [1, 0, 1]\n").labels().classes());
        assertArrayEquals(new int[] {0, 1}, parse(GMM + "labels: uniform\n").labels().classes());
        var plan = Manifest.plan(c);
        assertEquals("[0,1]", plan.get("labels").toString());
        assertFalse(plan.has("labels_cycle"));
    }

    /** {@code labels: {cycle: [...]}}: seed s takes entry s mod n, and the manifest's plan tells it from a draw. */
    @Test
    void aLabelCycleGivesEachSeedItsEntry() {
        SweepConfig c = parse(GMM + "labels: { cycle: [1, 0, 0] }\n");
        assertEquals(org.diffsweep.rng.ClassDraw.cycle(new int[] {1, 0, 0}), c.labels());
        assertArrayEquals(new int[] {1, 0, 0, 1, 0, 0, 1}, c.labelsOf(new long[] {0, 1, 2, 3, 4, 5, 6}));
        var plan = Manifest.plan(c);
        assertEquals("[1,0,0]", plan.get("labels").toString());
        assertTrue(plan.get("labels_cycle").asBoolean());
        assertRefused(GMM + "labels: { cycle: [0, 2] }\n", "labels.cycle[1]: 2, expected a class from 0 to 1");
        assertRefused(GMM + "labels: { cycle: [] }\n", "labels.cycle");
        assertRefused(GMM + "labels: { order: [0, 1] }\n", "labels.order: unknown key, expected one of cycle");
    }

    @Test
    void guidanceMultipliesTheConfigsLikeNfe() {
        SweepConfig plain = parse(GMM);
        SweepConfig guided = parse(GMM + "guidance: [1, 1.5, 3]\n");
        assertEquals(4, plain.points().size());
        assertEquals(12, guided.points().size());
        assertEquals(12, guided.points().stream().map(SweepPoint::id).distinct().count());
        SweepPoint w15 = guided.points().stream().filter(p -> p.id().contains("_w1.5_")).findFirst().orElseThrow();
        assertEquals(1.5, w15.guidance());
        assertTrue(w15.sampler().endsWith(" guidance=1.5"), w15.sampler());
        assertEquals(2 * w15.nfe(), w15.networkCalls());
        SweepPoint w1 = guided.points().stream().filter(p -> p.id().contains("_w1_")).findFirst().orElseThrow();
        assertEquals(w1.nfe(), w1.networkCalls(), "w = 1 calls the conditional branch alone");
        // comparisons pair configs of the same scale
        assertEquals(3 * plain.comparisons().size(), guided.comparisons().size());
        for (Comparison cmp : guided.comparisons()) {
            SweepPoint a = point(guided, cmp.candidateId());
            SweepPoint b = point(guided, cmp.baselineId());
            assertEquals(a.guidance(), b.guidance());
        }
        // an unguided conditional config's ids do not change when guidance is added elsewhere
        assertFalse(guided.points().stream().anyMatch(p -> plain.points().stream().anyMatch(q -> q.id().equals(p.id()))));
    }

    private static SweepPoint point(SweepConfig c, String id) {
        return c.points().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void labelledNetworksDeclareTheirInput() throws Exception {
        String model = Path.of(getClass().getResource("/models/tiny_cond_index.pt").toURI()).toString();
        String yaml = """
                name: n
                model: { type: djl, path: %s, shape: [1, 2, 2], labels: { count: 3, encoding: index, null_label: 3 } }
                process: { name: edm, sigma_min: 0.002, sigma_max: 2 }
                seeds: { count: 4 }
                samplers: [ { name: euler } ]
                grids: [ { name: edm } ]
                nfe: [3]
                reference: r.npz
                guidance: [2]
                """.formatted(model);
        SweepConfig c = parse(yaml);
        assertEquals(3, c.model().labels().count());
        assertEquals(3, c.model().labels().nullIndex());
        assertEquals(org.diffsweep.model.LabelInput.Encoding.INDEX, c.model().labels().encoding());
        ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml.replace(", null_label: 3", "")));
        assertTrue(e.getMessage().contains("declares no null label"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> parse(yaml.replace("null_label: 3", "null_label: zeros")));
        assertTrue(e.getMessage().contains("'zeros' is a one_hot null label"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> parse(yaml.replace("guidance: [2]", "guidance: [2]\nguide: "
                + "{ type: djl, path: " + model + ", shape: [1, 4, 4] }")));
        assertTrue(e.getMessage().contains("guide.shape: [1, 4, 4], expected the model's shape [1, 2, 2]"),
                e.getMessage());
    }

    @Test
    void badLabelsAndScalesAreRefused() {
        String uncond = GMM.replace(", classes: 2", "");
        assertRefused(uncond + "labels: uniform\n", "labels:", "is unconditional");
        assertRefused(uncond + "guidance: [2]\n", "guidance:", "unconditional", "guide network");
        assertRefused(GMM + "labels: 2\n", "labels: 2, expected a class from 0 to 1");
        assertRefused(GMM + "labels: [0, 5]\n", "labels[1]: 5");
        assertRefused(GMM + "labels: all\n", "'all', expected uniform");
        assertRefused(GMM + "guidance: [-1]\n", "guidance[0]: -1.0, expected a guidance scale");
        assertRefused(GMM + "guidance: [2, 2.0]\n", "2 is listed twice");
        assertRefused(GMM + "guide: { type: gmm, random: { components: 2, dim: 2 } }\n", "guide:", "without guidance");
        assertRefused(GMM.replace("classes: 2", "classes: 5"), "classes: 5, expected 1 to 4");
        assertRefused(GMM.replace("[ { name: euler, label: e }, { name: heun, label: h, vs: e } ]",
                "[ { name: euler-maruyama } ]").replace("nfe: [5, 9]", "nfe: [5]").replace("name: edm }", "name: uniform }") + "process: { name: psld, beta_min: 0.1, beta_max: 20, gamma: 0.01, nu: 4.01, kappa: 0.5 }\n",
                "EDM family");
    }

    private static void assertRefused(String yaml, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }
}
