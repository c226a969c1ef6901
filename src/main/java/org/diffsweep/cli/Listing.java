package org.diffsweep.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.diffsweep.config.Families;
import org.diffsweep.family.Family;
import picocli.CommandLine.Command;

/**
 * {@code diffsweep list}: the processes, samplers and grids a config may name, with their options and defaults.
 * The names come from the parsers themselves (the lists their "unknown name" errors give), the options and
 * defaults from {@link #CATALOG}; {@code ListingTest} checks that the two agree with what the parsers accept.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "Lists the processes, samplers and grids a config may name, by family, with their options "
                + "and defaults.")
final class Listing implements Callable<Integer> {

    /** What an entry is. */
    enum Kind { PROCESS, SAMPLER, GRID }

    /**
     * One option.
     *
     * @param key      the config key
     * @param fallback its default as the parser has it, "" for the process's, or null when it must be given
     * @param example  a valid value (a YAML scalar), for required options
     */
    record Opt(String key, String fallback, String example) {
        static Opt of(String key, String fallback) {
            return new Opt(key, fallback, fallback);
        }

        static Opt required(String key, String example) {
            return new Opt(key, null, example);
        }

        String show() {
            return key + (fallback == null ? " (required)" : fallback.isEmpty() ? " (the process's)"
                    : " (" + fallback + ")");
        }
    }

    /** One name a config may give, in its family, with its options. */
    record Entry(String family, Kind kind, String name, List<Opt> options) {
    }

    static final String EDM = "edm";
    static final String PSLD = "psld";

    /** Options and defaults of every name; the names themselves are checked against the parsers by the tests. */
    static final List<Entry> CATALOG = List.of(
            new Entry(EDM, Kind.PROCESS, "edm", List.of(Opt.of("sigma_min", "0.002"), Opt.of("sigma_max", "80"))),
            new Entry(EDM, Kind.PROCESS, "vp", List.of(Opt.of("beta_d", "19.9"), Opt.of("beta_min", "0.1"),
                    Opt.of("eps_t", "0.001"))),
            new Entry(EDM, Kind.PROCESS, "vp-discrete", List.of(Opt.of("beta_schedule", "linear"),
                    Opt.of("beta_start", "0.0001"), Opt.of("beta_end", "0.02"), Opt.of("steps", "1000"),
                    Opt.of("table_dtype", "float64"))),
            new Entry(EDM, Kind.SAMPLER, "euler", List.of()),
            new Entry(EDM, Kind.SAMPLER, "heun", List.of()),
            new Entry(EDM, Kind.SAMPLER, "dpmpp-2m", List.of()),
            new Entry(EDM, Kind.SAMPLER, "edm-stochastic", List.of(Opt.of("S_churn", "0"), Opt.of("S_tmin", "0"),
                    Opt.of("S_tmax", "infinity"), Opt.of("S_noise", "1"))),
            new Entry(EDM, Kind.SAMPLER, "euler-maruyama", List.of()),
            new Entry(EDM, Kind.SAMPLER, "ipndm", List.of()),
            new Entry(EDM, Kind.SAMPLER, "deis", List.of(Opt.of("order", "3"), Opt.of("variant", "tab"))),
            new Entry(EDM, Kind.SAMPLER, "deis-sn", List.of(Opt.of("order", "3"), Opt.of("variant", "tab"),
                    Opt.required("norm", "exact"))),
            new Entry(EDM, Kind.GRID, "edm", List.of(Opt.of("rho", "7"), Opt.of("sigma_min", ""),
                    Opt.of("sigma_max", ""))),
            new Entry(EDM, Kind.GRID, "loglinear", List.of(Opt.of("sigma_min", ""), Opt.of("sigma_max", ""))),
            new Entry(EDM, Kind.GRID, "time-uniform", List.of()),
            new Entry(EDM, Kind.GRID, "time-quadratic", List.of(Opt.of("kappa", "2"))),
            new Entry(EDM, Kind.GRID, "ddpm-quadratic", List.of()),
            new Entry(EDM, Kind.GRID, "file", List.of(Opt.required("path", "schedule.csv"))),
            new Entry(PSLD, Kind.PROCESS, "psld", List.of(Opt.required("beta_min", "8"),
                    Opt.required("beta_max", "8"), Opt.required("gamma", "0.02"), Opt.required("nu", "4.02"),
                    Opt.required("kappa", "0.04"), Opt.of("eps", "0.001"))),
            new Entry(PSLD, Kind.SAMPLER, "euler-maruyama", List.of()),
            new Entry(PSLD, Kind.SAMPLER, "sscs", List.of()),
            new Entry(PSLD, Kind.SAMPLER, "pf-euler", List.of()),
            new Entry(PSLD, Kind.SAMPLER, "splitting", List.of(Opt.required("scheme", "OBA"),
                    Opt.of("variant", "reduced"), Opt.of("lambda_s", "1"))),
            new Entry(PSLD, Kind.GRID, "uniform", List.of()),
            new Entry(PSLD, Kind.GRID, "quadratic", List.of()));

    /** A PSLD family with the catalog's example constants (its process has no defaults). */
    static Family psldFamily() {
        Map<String, Object> constants = new LinkedHashMap<>();
        for (Opt o : entry(PSLD, Kind.PROCESS, "psld").options()) {
            if (o.fallback() == null) {
                constants.put(o.key(), Double.parseDouble(o.example()));
            }
        }
        return Families.of(PSLD, constants);
    }

    /** The names the parsers accept, by family and kind, as their errors for an unknown name list them. */
    static Map<String, Map<Kind, List<String>>> parserNames() {
        Map<String, Map<Kind, List<String>>> out = new LinkedHashMap<>();
        List<String> processes = namesFromError(x -> Families.of(x, Map.of()));
        Map<Kind, List<String>> edm = new LinkedHashMap<>();
        edm.put(Kind.PROCESS, processes.stream().filter(org.diffsweep.family.EdmFamily.PROCESSES::contains).toList());
        Family e = Families.defaultFamily();
        edm.put(Kind.SAMPLER, namesFromError(x -> e.sampler(x, Map.of(), null)));
        edm.put(Kind.GRID, namesFromError(x -> e.grid(x, Map.of())));
        out.put(EDM, edm);
        Map<Kind, List<String>> psld = new LinkedHashMap<>();
        psld.put(Kind.PROCESS, processes.stream().filter(p -> !org.diffsweep.family.EdmFamily.PROCESSES.contains(p))
                .toList());
        Family p = psldFamily();
        psld.put(Kind.SAMPLER, namesFromError(x -> p.sampler(x, Map.of(), null)));
        psld.put(Kind.GRID, namesFromError(x -> p.grid(x, Map.of())));
        out.put(PSLD, psld);
        return out;
    }

    /** The list after "expected one of:" in the error a parser gives for a name nobody has (without any "(...)"). */
    private static List<String> namesFromError(Consumer<String> parser) {
        try {
            parser.accept("\u0001");
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            int at = m.indexOf("expected one of: ");
            if (at >= 0) {
                String list = m.substring(at + "expected one of: ".length()).replaceAll("\\s*\\(.*", "");
                List<String> names = new ArrayList<>();
                for (String n : list.split(",")) {
                    names.add(n.trim());
                }
                return names;
            }
            throw new IllegalStateException("no list of names in: " + m, e);
        }
        throw new IllegalStateException("a parser accepted an empty name");
    }

    static Entry entry(String family, Kind kind, String name) {
        return CATALOG.stream().filter(x -> x.family().equals(family) && x.kind() == kind && x.name().equals(name))
                .findFirst().orElse(null);
    }

    /** The listing's text. */
    static String text() {
        StringBuilder s = new StringBuilder();
        Map<String, Map<Kind, List<String>>> names = parserNames();
        for (Map.Entry<String, Map<Kind, List<String>>> f : names.entrySet()) {
            s.append(f.getKey().equals(EDM) ? "EDM family" : "PSLD family").append(" (process: ")
                    .append(String.join(", ", f.getValue().get(Kind.PROCESS))).append(")\n\n");
            for (Kind k : Kind.values()) {
                String title = k.name().toLowerCase(java.util.Locale.ROOT);
                s.append("| ").append(title).append(" | options (default) |\n|---|---|\n");
                for (String n : f.getValue().get(k)) {
                    Entry e = entry(f.getKey(), k, n);
                    String opts = e == null ? "(not catalogued: see README)"
                            : e.options().stream().map(Opt::show).reduce((a, b) -> a + ", " + b).orElse("");
                    s.append("| ").append(n).append(" | ").append(opts).append(" |\n");
                }
                s.append('\n');
            }
        }
        s.append("Every sampler and grid entry also takes label and vs; samplers also take grids and nfe (see README).\n");
        return s.toString();
    }

    @Override
    public Integer call() {
        System.out.print(text());
        System.out.flush();
        return 0;
    }
}
