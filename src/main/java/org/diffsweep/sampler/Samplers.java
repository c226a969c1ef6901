package org.diffsweep.sampler;

import java.util.Map;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import org.diffsweep.io.Store;
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
        return of(name, options, process, exactModel, Store.local());
    }

    /** @param store where a score table the options name is read from (its path qualified by it) */
    public static Sampler of(String name, Map<String, Object> options, Process process, GaussianMixture exactModel,
                             Store store) {
        Options o = new Options("sampler " + name, options);
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
                    scoreScale(o.text("norm", null), process, exactModel, store), "deis-sn");
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "', expected one of: " + NAMES);
        };
        o.requireAllUsed();
        return sampler;
    }

    /** A score table at a qualified path, read through {@code store} (see {@link ScoreScale#fromCsv}). */
    public static ScoreScale readTable(String path, Process process, Store store) {
        try {
            return ScoreScale.fromLines(store.readLines(path), path, process).fromFile(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("score table " + path + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("score table " + path + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** DEIS-SN's table r(σ): a CSV file (see {@link ScoreScale#fromCsv}) or {@code exact} for an analytic model. */
    private static ScoreScale scoreScale(String norm, Process process, GaussianMixture exactModel, Store store) {
        if (norm == null) {
            throw new IllegalArgumentException("deis-sn: norm missing, expected a score table (CSV path) or 'exact'");
        }
        if (!norm.equals("exact")) {
            String path = store.qualify(norm);
            boolean exists;
            try {
                exists = store.exists(path);
            } catch (IOException e) {
                throw new IllegalArgumentException("score table " + path + ": cannot read (" + e.getMessage() + ")");
            }
            return exists ? readTable(path, process, store) : ScoreScale.pending(path);
        }
        if (exactModel == null) {
            throw new IllegalArgumentException("deis-sn: norm = exact needs an analytic model (gmm), expected a "
                    + "score table CSV for this model");
        }
        double[] levels = new EdmGrid(process.sigmaMin(), process.sigmaMax(), 7).sigmas(EXACT_NORM_LEVELS);
        return ScoreScale.monteCarlo(exactModel, Arrays.copyOf(levels, levels.length - 1), EXACT_NORM_SAMPLES, 0);
    }
}
