package org.diffsweep.sampler;

import java.util.Map;

/** Samplers by name, as configs name them. */
public final class Samplers {

    public static final String NAMES = "euler, heun";

    private Samplers() {
    }

    /**
     * @param options sampler options (none of the current samplers take any; unknown ones are refused)
     */
    public static Sampler of(String name, Map<String, Object> options) {
        Sampler sampler = switch (name) {
            case "euler" -> new Euler();
            case "heun" -> new Heun();
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "', expected one of: " + NAMES);
        };
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("sampler " + name + ": unknown option(s) " + options.keySet()
                    + ", expected none");
        }
        return sampler;
    }
}
