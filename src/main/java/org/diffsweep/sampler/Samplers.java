package org.diffsweep.sampler;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffsweep.diffusion.Process;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.schedule.EdmGrid;

/** Samplers by name, as configs name them, with their options. */
public final class Samplers {

    public static final String NAMES =
            "euler, heun, dpmpp-2m, edm-stochastic, euler-maruyama, ipndm, deis, deis-sn";

    /** Samples per level of the Monte-Carlo score table that {@code norm: exact} computes. */
    static final int EXACT_NORM_SAMPLES = 4096;
    /** Levels of that table: an edm ρ=7 grid over the process's σ range. */
    static final int EXACT_NORM_LEVELS = 200;

    private Samplers() {
    }

    /**
     * @param options the sampler's options from the config (numbers as Double, strings as String); unknown
     *                options are refused
     * @param process the process the sweep's grids are built on
     */
    public static Sampler of(String name, Map<String, Object> options, Process process) {
        return of(name, options, process, null);
    }

    /**
     * @param exactModel the analytic model, if the sweep's model is one (for {@code deis-sn}'s {@code norm: exact});
     *                   null otherwise
     */
    public static Sampler of(String name, Map<String, Object> options, Process process, GaussianMixture exactModel) {
        Options o = new Options(name, options);
        Sampler sampler = switch (name) {
            case "euler" -> new Euler();
            case "heun" -> new Heun();
            case "dpmpp-2m" -> new DpmSolverPlusPlus2M();
            case "edm-stochastic" -> new EdmStochastic(o.number("S_churn", 0), o.number("S_tmin", 0),
                    o.number("S_tmax", Double.POSITIVE_INFINITY), o.number("S_noise", 1));
            case "euler-maruyama" -> new EulerMaruyama(process);
            case "ipndm" -> new Ipndm();
            case "deis" -> new Deis(o.integer("order", 3), Deis.Variant.of(o.text("variant", "tab")), process);
            case "deis-sn" -> new Deis(o.integer("order", 3), Deis.Variant.of(o.text("variant", "tab")), process,
                    scoreScale(o.text("norm", null), process, exactModel), "deis-sn");
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "', expected one of: " + NAMES);
        };
        o.requireAllUsed();
        return sampler;
    }

    /** DEIS-SN's table r(σ): a CSV file (see {@link ScoreScale#fromCsv}) or {@code exact} for an analytic model. */
    private static ScoreScale scoreScale(String norm, Process process, GaussianMixture exactModel) {
        if (norm == null) {
            throw new IllegalArgumentException("deis-sn: norm missing, expected a score table (CSV path) or 'exact'");
        }
        if (!norm.equals("exact")) {
            Path path = Path.of(norm);
            return java.nio.file.Files.exists(path) ? ScoreScale.fromCsv(path, process) : ScoreScale.pending(path);
        }
        if (exactModel == null) {
            throw new IllegalArgumentException("deis-sn: norm = exact needs an analytic model (gmm), expected a "
                    + "score table CSV for this model");
        }
        double[] levels = new EdmGrid(process.sigmaMin(), process.sigmaMax(), 7).sigmas(EXACT_NORM_LEVELS);
        return ScoreScale.monteCarlo(exactModel, Arrays.copyOf(levels, levels.length - 1), EXACT_NORM_SAMPLES, 0);
    }

    /** A sampler's options, each read at most once; what is left over is a typo and is refused. */
    static final class Options {
        private final String sampler;
        private final Map<String, Object> values;
        private final Set<String> used = new TreeSet<>();

        Options(String sampler, Map<String, Object> values) {
            this.sampler = sampler;
            this.values = new HashMap<>(values);
        }

        double number(String key, double fallback) {
            used.add(key);
            Object v = values.get(key);
            if (v == null) {
                return fallback;
            }
            if (!(v instanceof Double d)) {
                throw new IllegalArgumentException(sampler + ": " + key + " = '" + v + "', expected a number");
            }
            return d;
        }

        int integer(String key, int fallback) {
            double v = number(key, fallback);
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(sampler + ": " + key + " = " + v + ", expected an integer");
            }
            return (int) v;
        }

        String text(String key, String fallback) {
            used.add(key);
            Object v = values.get(key);
            return v == null ? fallback : v.toString();
        }

        void requireAllUsed() {
            Set<String> unknown = new TreeSet<>(values.keySet());
            unknown.removeAll(used);
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("sampler " + sampler + ": unknown option(s) " + unknown
                        + (used.isEmpty() ? ", expected none" : ", expected some of " + used));
            }
        }
    }
}
