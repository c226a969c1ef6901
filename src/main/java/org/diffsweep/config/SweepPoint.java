package org.diffsweep.config;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.diffsweep.diffusion.Process;
import org.diffsweep.sampler.Sampler;
import org.diffsweep.schedule.ClampedGrid;
import org.diffsweep.schedule.PendingFileGrid;
import org.diffsweep.schedule.TimeGrid;

/**
 * One cell of a sweep: a sampler on a grid at an NFE budget, with the steps and the NFE it really takes.
 *
 * @param id           stable id: readable prefix plus a hash of the full description
 * @param sampler      the sampler
 * @param grid         the time grid
 * @param nfeRequested the budget the config asked for
 * @param steps        steps taken: the most whose cost fits the budget
 * @param nfe          model calls actually made
 * @param label        a short display name, {@code sampler | grid} from the config's labels (or descriptions);
 *                     plots use it, the id and the manifest do not
 */
public record SweepPoint(String id, Sampler sampler, TimeGrid grid, int nfeRequested, int steps, int nfe,
                         String label) implements Serializable {

    /** The same point with another display label. */
    public SweepPoint withLabel(String text) {
        return new SweepPoint(id, sampler, grid, nfeRequested, steps, nfe, text);
    }

    /**
     * The point for a budget, with the grid clamped into the process's noise range [σ_min, σ_max] (the model's)
     * where its levels for that step count leave it ({@link ClampedGrid}; the grid's description then says so).
     * A {@link PendingFileGrid} is taken as it is: its levels are checked once the schedule is made.
     */
    static SweepPoint of(Sampler sampler, TimeGrid grid, int nfeRequested, Process process, Node samplerNode,
                         Node gridNode) {
        try {
            return of(sampler, grid, nfeRequested, process);
        } catch (IllegalArgumentException e) {
            throw samplerNode.error(e.getMessage());
        }
    }

    /** As above, without a config node: a bad combination throws {@link IllegalArgumentException}. */
    static SweepPoint of(Sampler sampler, TimeGrid grid, int nfeRequested, Process process) {
        int steps = sampler.stepsForNfe(nfeRequested);
        if (!(grid instanceof PendingFileGrid)) {
            if (steps >= grid.minSteps()) {
                grid = ClampedGrid.ifNeeded(grid, steps, process.sigmaMin(), process.sigmaMax());
            }
            int gridMin = grid.minSteps();
            if (steps < gridMin) {
                throw new IllegalArgumentException(sampler.describe() + " on " + grid.describe() + ": nfe = "
                        + nfeRequested + " gives " + steps + " step(s), expected at least " + gridMin
                        + " steps (nfe >= " + sampler.nfe(gridMin) + ")");
            }
            grid.sigmas(steps);
        }
        String description = sampler.describe() + "|" + grid.describe() + "|" + nfeRequested;
        String id = sampler.describe().replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "") + "_"
                + grid.describe().replaceAll("\\(.*", "") + "_nfe" + nfeRequested + "_" + shortHash(description);
        return new SweepPoint(id, sampler, grid, nfeRequested, steps, sampler.nfe(steps),
                sampler.describe() + " | " + grid.describe());
    }

    /** The noise levels this point samples on. */
    public double[] sigmas() {
        return grid.sigmas(steps);
    }

    static String shortHash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
