package org.diffsweep.schedule;

/**
 * A {@code file} grid whose CSV does not exist yet: a score-optimal schedule that {@code run} makes first (the
 * schedule job, for the step counts the config's samplers take) and then reads. It has no levels until then;
 * {@code sweep} and {@code oracle} refuse it. Its description is the one the {@link FileGrid} will have.
 *
 * @param source   the path as the config writes it (its description, so ids do not depend on where it runs)
 * @param location the same path fully qualified: where the schedule will be written
 */
public record PendingFileGrid(String source, String location) implements TimeGrid {

    @Override
    public String describe() {
        return "file(" + source + ")";
    }

    @Override
    public double[] sigmas(int steps) {
        throw new IllegalStateException("grid file " + source + " does not exist yet, expected it made first "
                + "('diffsweep schedule' or 'diffsweep run')");
    }
}
