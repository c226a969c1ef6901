package org.diffsweep.sampler;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options of a sampler, grid or process as a config gives them (numbers as Double, strings as String), each
 * read at most once: whatever is left over is a typo and is refused.
 */
public final class Options {

    private final String owner;
    private final Map<String, Object> values;
    private final Set<String> used = new TreeSet<>();

    /** @param owner what the options belong to, as errors name it ({@code deis}, {@code process psld}) */
    public Options(String owner, Map<String, Object> values) {
        this.owner = owner;
        this.values = new HashMap<>(values);
    }

    public boolean has(String key) {
        return values.get(key) != null;
    }

    public double number(String key, double fallback) {
        used.add(key);
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Double d)) {
            throw new IllegalArgumentException(owner + ": " + key + " = '" + v + "', expected a number");
        }
        return d;
    }

    /** A number the config must give (a model's own constant: no silent default). */
    public double required(String key, String meaning) {
        if (!has(key)) {
            used.add(key);
            throw new IllegalArgumentException(owner + ": " + key + " missing, expected " + meaning);
        }
        return number(key, Double.NaN);
    }

    public int integer(String key, int fallback) {
        double v = number(key, fallback);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(owner + ": " + key + " = " + v + ", expected an integer");
        }
        return (int) v;
    }

    public String text(String key, String fallback) {
        used.add(key);
        Object v = values.get(key);
        return v == null ? fallback : v.toString();
    }

    /** @throws IllegalArgumentException naming the options nobody read */
    public void requireAllUsed() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(used);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(owner + ": unknown option(s) " + unknown
                    + (used.isEmpty() ? ", expected none" : ", expected some of " + used));
        }
    }
}
