package org.diffsweep.sampler;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.diffsweep.diffusion.Process;

/** Samplers by name, as configs name them, with their options. */
public final class Samplers {

    public static final String NAMES = "euler, heun, dpmpp-2m, edm-stochastic, euler-maruyama";

    private Samplers() {
    }

    /**
     * @param options the sampler's options from the config (numbers as Double, strings as String); unknown
     *                options are refused
     * @param process the process the sweep's grids are built on
     */
    public static Sampler of(String name, Map<String, Object> options, Process process) {
        Options o = new Options(name, options);
        Sampler sampler = switch (name) {
            case "euler" -> new Euler();
            case "heun" -> new Heun();
            case "dpmpp-2m" -> new DpmSolverPlusPlus2M();
            case "edm-stochastic" -> new EdmStochastic(o.number("S_churn", 0), o.number("S_tmin", 0),
                    o.number("S_tmax", Double.POSITIVE_INFINITY), o.number("S_noise", 1));
            case "euler-maruyama" -> new EulerMaruyama(process);
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "', expected one of: " + NAMES);
        };
        o.requireAllUsed();
        return sampler;
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
