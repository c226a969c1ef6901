package org.diffsweep.schedule;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Explicit schedules from a CSV file (docs/grids.md, file), as the schedule job writes them or as written by
 * hand. The file has a header line and either
 * <ul>
 *   <li>one column {@code sigma}: one schedule, its N + 1 levels in order, or</li>
 *   <li>columns {@code steps,sigma} (others ignored): one schedule per step count N, its N + 1 rows in order.</li>
 * </ul>
 * Every schedule decreases strictly and ends at σ = 0. Lines starting with {@code #} are comments. The levels are
 * read once, when the config is read, and travel with the grid (executors never read the file).
 */
public record FileGrid(String source, String location, Map<Integer, double[]> schedules) implements TimeGrid {

    /** A grid read from {@code source} (the path as the config writes it), location not known. */
    public FileGrid(String source, Map<Integer, double[]> schedules) {
        this(source, null, schedules);
    }

    /** The same grid with where it was read from, fully qualified (for the report to find its plots). */
    public FileGrid withLocation(String qualified) {
        return new FileGrid(source, qualified, schedules);
    }


    @Override
    public String describe() {
        return "file(" + source + ")";
    }

    @Override
    public int minSteps() {
        return schedules.keySet().stream().min(Integer::compare).orElseThrow();
    }

    @Override
    public double[] sigmas(int steps) {
        double[] s = schedules.get(steps);
        if (s == null) {
            throw new IllegalArgumentException("grid " + describe() + ": no schedule with " + steps
                    + " steps, expected one of " + new java.util.TreeSet<>(schedules.keySet()) + " steps");
        }
        return s.clone();
    }

    /** Reads and checks a schedule file. */
    public static FileGrid read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("grid file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("grid file " + file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(lines, file.toString());
    }

    /**
     * Checks the lines of a schedule file.
     *
     * @param file the path as the config writes it: errors name it, and it is the grid's description
     */
    public static FileGrid parse(List<String> lines, String file) {
        int headerLine = -1;
        List<String> header = null;
        Map<Integer, List<Double>> rows = new TreeMap<>();
        int stepsCol = -1;
        int sigmaCol = -1;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            List<String> cells = Arrays.stream(line.split(",")).map(String::trim).toList();
            if (header == null) {
                header = cells;
                headerLine = n + 1;
                sigmaCol = header.indexOf("sigma");
                stepsCol = header.indexOf("steps");
                if (sigmaCol < 0) {
                    throw new IllegalArgumentException("grid file " + file + ": line " + headerLine + ": header "
                            + header + " has no 'sigma' column, expected 'sigma' or 'steps,sigma'");
                }
                continue;
            }
            if (cells.size() != header.size()) {
                throw new IllegalArgumentException("grid file " + file + ": line " + (n + 1) + ": " + cells.size()
                        + " cells, expected " + header.size() + " as in the header");
            }
            int steps = -1;
            double sigma;
            try {
                if (stepsCol >= 0) {
                    steps = Integer.parseInt(cells.get(stepsCol));
                }
                sigma = Double.parseDouble(cells.get(sigmaCol));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("grid file " + file + ": line " + (n + 1) + ": '" + line
                        + "' is not numeric, expected numbers in the steps and sigma columns");
            }
            rows.computeIfAbsent(steps, k -> new ArrayList<>()).add(sigma);
        }
        if (header == null || rows.isEmpty()) {
            throw new IllegalArgumentException("grid file " + file + ": no schedule, expected a header and rows");
        }
        Map<Integer, double[]> schedules = new TreeMap<>();
        for (Map.Entry<Integer, List<Double>> e : rows.entrySet()) {
            double[] s = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            int steps = s.length - 1;
            String what = "grid file " + file + (e.getKey() >= 0 ? " (steps " + e.getKey() + ")" : "");
            if (e.getKey() >= 0 && e.getKey() != steps) {
                throw new IllegalArgumentException(what + ": " + s.length + " levels, expected steps + 1 = "
                        + (e.getKey() + 1));
            }
            TimeGrid.requireDecreasing(s, what);
            if (s[steps] != 0) {
                throw new IllegalArgumentException(what + ": last sigma = " + s[steps] + ", expected 0");
            }
            schedules.put(steps, s);
        }
        return new FileGrid(file.toString(), Map.copyOf(schedules));
    }
}
