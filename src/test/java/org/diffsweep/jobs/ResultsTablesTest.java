package org.diffsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.report.Table;
import org.junit.jupiter.api.Test;

/**
 * The tables under docs/results against the code that writes them: every committed fid.csv and differences.csv has
 * exactly the columns the fid job writes today, unless docs/results/README.md names its folder as predating them.
 * A column added to the fid job without regenerating the committed tables (with the commands the README names)
 * fails here.
 */
class ResultsTablesTest {

    static final Path RESULTS = Path.of("docs/results");

    /** The header line the fid job writes for a file ("fid.csv" or "differences.csv"). */
    static String header(String file) throws Exception {
        SweepConfig config = SweepConfig.parse(Files.readString(Path.of("conf/gmm-demo.yaml")), "gmm-demo");
        FidJob.Results empty = new FidJob.Results(List.of(), List.of(), 10, Double.NaN, Double.NaN, "v",
                new Table.Provenance("m", "none", "exact", "", "exact", 1, "0-0", "v"));
        Table t = file.equals("fid.csv") ? FidJob.fidTable(config, empty) : FidJob.differencesTable(config, empty);
        return t.toCsv().lines().findFirst().orElseThrow();
    }

    @Test
    void committedFidTablesHaveTheColumnsTheFidJobWrites() throws Exception {
        String readme = Files.readString(RESULTS.resolve("README.md"));
        List<String> checked = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(RESULTS)) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                boolean stale = readme.contains("`" + dir.getFileName() + "/` predates");
                for (String file : List.of("fid.csv", "differences.csv")) {
                    Path csv = dir.resolve(file);
                    if (!Files.exists(csv)) {
                        continue;
                    }
                    String have = Files.readAllLines(csv).get(0);
                    if (stale) {
                        assertTrue(!have.equals(header(file)), dir.getFileName() + " is current: drop it from the "
                                + "README's list of tables that predate the current columns");
                    } else {
                        assertEquals(header(file), have, csv + " lags the fid job: regenerate it with the command "
                                + "docs/results/README.md names");
                        checked.add(csv.toString());
                    }
                }
            }
        }
        assertTrue(!checked.isEmpty(), "at least one committed table is checked");
    }
}
