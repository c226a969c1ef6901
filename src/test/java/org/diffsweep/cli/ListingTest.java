package org.diffsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.Families;
import org.diffsweep.family.Family;
import org.junit.jupiter.api.Test;

/**
 * {@code diffsweep list} cannot drift from the parsers: every name they accept is listed with its options, every
 * listed name parses in a config, every listed option is accepted and every listed default is the parser's.
 */
class ListingTest {

    @Test
    void everyNameTheParsersAcceptIsCataloguedAndPrinted() {
        Map<String, Map<Listing.Kind, List<String>>> names = Listing.parserNames();
        int count = 0;
        String text = Listing.text();
        for (var f : names.entrySet()) {
            for (var k : f.getValue().entrySet()) {
                assertFalse(k.getValue().isEmpty(), f.getKey() + " " + k.getKey());
                for (String n : k.getValue()) {
                    assertNotNull(Listing.entry(f.getKey(), k.getKey(), n), f.getKey() + " " + k.getKey() + " " + n
                            + " is accepted but not in the catalog");
                    assertTrue(text.contains("| " + n + " |"), n);
                    count++;
                }
            }
        }
        assertEquals(Listing.CATALOG.size(), count, "the catalog lists a name no parser accepts");
        assertFalse(text.contains("not catalogued"), text);
        assertTrue(text.contains("| deis | order (3), variant (tab) |"), text);
        assertTrue(text.contains("| splitting | scheme (required), variant (reduced), lambda_s (1) |"), text);
    }

    /** The config text of one catalog entry, its required options given their examples. */
    static String config(Listing.Entry e, String process, String sampler, String grid) {
        String model = "{ type: gmm, random: { components: 2, dim: 3, seed: 1 } }";
        return "name: l\nmodel: " + model + "\nseeds: { count: 4 }\nprocess: " + process + "\nsamplers: [ " + sampler
                + " ]\ngrids: [ " + grid + " ]\nnfe: [ 4 ]\n";
    }

    static String mapping(String name, List<Listing.Opt> options, boolean all) {
        StringBuilder s = new StringBuilder("{ name: " + name);
        for (Listing.Opt o : options) {
            // (a default of infinity cannot be written: the YAML reader refuses .inf)
            if (o.fallback() == null || (all && !o.fallback().isEmpty() && !o.fallback().equals("infinity"))) {
                s.append(", ").append(o.key()).append(": ").append(o.example());
            }
        }
        return s.append(" }").toString();
    }

    /** Each listed name parses in a config of its family: alone, and with every listed option at its default. */
    @Test
    void everyListedNameParsesWithItsListedOptions() throws Exception {
        java.nio.file.Path dir = org.diffsweep.spark.SparkTestSupport.tempDir("list");
        java.nio.file.Path schedule = dir.resolve("schedule.csv");
        java.nio.file.Files.writeString(schedule, "steps,sigma\n4,80\n4,10\n4,1\n4,0.1\n4,0\n");
        for (Listing.Entry e : Listing.CATALOG) {
            boolean psld = e.family().equals(Listing.PSLD);
            Listing.Entry process = psld ? Listing.entry(Listing.PSLD, Listing.Kind.PROCESS, "psld") : null;
            List<String> processes = new ArrayList<>();
            if (e.kind() == Listing.Kind.PROCESS) {
                processes.add(mapping(e.name(), e.options(), false));
                processes.add(mapping(e.name(), e.options(), true));
            } else if (psld) {
                processes.add(mapping("psld", process.options(), false));
            } else {
                processes.addAll(List.of("{ name: edm }", "{ name: vp }", "{ name: vp-discrete }"));
            }
            String sampler = psld ? "{ name: sscs }" : "{ name: euler }";
            String grid = psld ? "{ name: uniform }" : "{ name: edm }";
            List<String[]> variants = new ArrayList<>();
            for (boolean all : new boolean[] {false, true}) {
                String m = mapping(e.name(), e.options(), all).replace("schedule.csv", schedule.toString());
                if (e.kind() == Listing.Kind.SAMPLER) {
                    variants.add(new String[] {m, grid});
                } else if (e.kind() == Listing.Kind.GRID) {
                    variants.add(new String[] {sampler, m});
                } else {
                    variants.add(new String[] {sampler, grid});
                }
            }
            for (String[] v : variants) {
                ConfigException last = null;
                boolean parsed = false;
                for (String p : processes) {
                    try {
                        SweepConfig.parse(config(e, p, v[0], v[1]), "list.yaml");
                        parsed = true;
                        break;
                    } catch (ConfigException x) {
                        last = x;
                    }
                }
                assertTrue(parsed, e + " with " + v[0] + " / " + v[1] + ": " + (last == null ? "" : last.getMessage()));
            }
        }
    }

    /** A listed default is the parser's: giving it explicitly describes the same sampler, grid or process. */
    @Test
    void listedDefaultsAreTheParsersDefaults() {
        Family edm = Families.defaultFamily();
        Family psld = Listing.psldFamily();
        int checked = 0;
        for (Listing.Entry e : Listing.CATALOG) {
            Map<String, Object> required = new HashMap<>();
            for (Listing.Opt o : e.options()) {
                if (o.fallback() == null) {
                    required.put(o.key(), value(o.example()));
                }
            }
            if (e.name().equals("file") || e.name().equals("deis-sn")) {
                continue; // their required option is a file; their defaults are deis's, checked there
            }
            for (Listing.Opt o : e.options()) {
                if (o.fallback() == null || o.fallback().isEmpty()) {
                    continue;
                }
                Map<String, Object> with = new HashMap<>(required);
                with.put(o.key(), value(o.fallback()));
                Family f = e.family().equals(Listing.PSLD) ? psld : edm;
                String without = describe(e, f, required);
                assertEquals(without, describe(e, f, with), e.name() + ": " + o.key() + " default " + o.fallback());
                with.put(o.key(), value(o.fallback().equals("reduced") ? "naive" : o.fallback().equals("tab")
                        ? "rhoab" : o.fallback().equals("infinity") ? "50" : "0.37"));
                String other;
                try {
                    other = describe(e, f, with);
                } catch (IllegalArgumentException x) {
                    other = "refused: " + x.getMessage();
                }
                assertFalse(without.equals(other), e.name() + ": " + o.key() + " does not show in the description, "
                        + "so this check could not tell a wrong default");
                checked++;
            }
        }
        assertTrue(checked >= 15, "checked " + checked);
    }

    private static String describe(Listing.Entry e, Family f, Map<String, Object> options) {
        return switch (e.kind()) {
            case PROCESS -> Families.of(e.name(), options).process();
            case SAMPLER -> f.sampler(e.name(), options, null).description();
            case GRID -> f.grid(e.name(), options).description();
        };
    }

    private static Object value(String yaml) {
        if (yaml.equals("infinity")) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            return Double.parseDouble(yaml);
        } catch (NumberFormatException e) {
            return yaml;
        }
    }

    @Test
    void listCommandPrintsTheTable() {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(bytes, true));
        int code;
        try {
            code = Main.execute("list");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        assertEquals(Listing.text(), bytes.toString());
    }
}
