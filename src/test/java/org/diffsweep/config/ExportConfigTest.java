package org.diffsweep.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code export:} names configs by sampler label, id or {@code all}; anything else is one line naming it. */
class ExportConfigTest {

    static String yaml(String model, String export) {
        return """
                name: e
                model: %s
                seeds: { count: 10 }
                samplers: [ { name: euler, label: eu }, { name: heun } ]
                grids: [ { name: edm } ]
                nfe: [ 5, 9 ]
                reference: r.npz
                %s
                """.formatted(model, export);
    }

    static final String NET = "{ type: djl, path: m.pt, shape: [3, 4, 4] }";

    static SweepConfig parse(String model, String export) {
        return SweepConfig.parse(yaml(model, export), "test.yaml");
    }

    static void refused(String model, String export, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse(model, export));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void configsAreChosenByLabelIdOrAll() {
        SweepConfig none = parse(NET, "");
        assertNull(none.export());
        List<String> ids = none.points().stream().map(SweepPoint::id).toList();
        assertEquals(4, ids.size());

        SweepConfig byLabel = parse(NET, "export: { configs: [ eu ] }");
        assertEquals("png", byLabel.export().format());
        assertEquals(ids.subList(0, 2), byLabel.export().configIds());

        SweepConfig byId = parse(NET, "export: { configs: [ " + ids.get(3) + ", eu ], format: npz }");
        assertEquals(List.of(ids.get(0), ids.get(1), ids.get(3)), byId.export().configIds(), "in the sweep's order");
        assertEquals("npz", byId.export().format());

        assertEquals(ids, parse(NET, "export: { configs: [ all ] }").export().configIds());
        assertEquals(ids, parse(NET, "export: { configs: [ heun, eu ] }").export().configIds());
        // The export survives the driver's rewrites of the config.
        assertEquals(ids, parse(NET, "export: { configs: [ all ] }").withOutput("/x").withNeedsMet().export()
                .configIds());
    }

    @Test
    void badExportsAreOneLineNamingTheValue() {
        refused("{ type: gmm, random: { components: 2, dim: 3, seed: 1 } }", "export: { configs: [ all ] }",
                "model type gmm are not images");
        refused(NET, "export: { configs: [ nope ] }", "'nope' names no config", "eu, heun");
        refused(NET, "export: { configs: [ all ], format: jpg }", "'jpg', expected png or npz");
        refused(NET, "export: { configs: [ all ], dir: x }", "dir");
        refused(NET, "export: { format: png }", "configs");
    }
}
