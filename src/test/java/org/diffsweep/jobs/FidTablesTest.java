package org.diffsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.diffsweep.config.Comparison;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.report.Table;
import org.junit.jupiter.api.Test;

/** fid.csv and differences.csv as the report.Table model writes them, and the refusal to mix n. */
class FidTablesTest {

    static final SweepConfig CONFIG = SweepConfig.parse("""
            name: tables
            model: { type: gmm, random: { components: 2, dim: 3, seed: 1 } }
            seeds: { count: 10 }
            nfe: [4, 6]
            samplers:
              - { name: euler, label: e }
              - { name: heun, label: h, vs: e }
            grids:
              - { name: edm, rho: 7 }
            """, "tables.yaml");

    static final Table.Provenance PROVENANCE = new Table.Provenance(CONFIG.model().id(), "none", "ref.npz",
            "ab12", "50000", 10, "0–9", "v1");

    static FidJob.Results results(long... ns) {
        List<FidJob.Entry> entries = new ArrayList<>();
        List<SweepPoint> points = CONFIG.points();
        for (int i = 0; i < points.size(); i++) {
            entries.add(new FidJob.Entry(points.get(i), ns[i], 1.0 / 3 + i, 0.125, new double[] {1, 2}));
        }
        List<FidJob.Difference> diffs = new ArrayList<>();
        for (Comparison c : CONFIG.comparisons()) {
            FidJob.Entry a = entries.stream().filter(e -> e.point().id().equals(c.candidateId())).findFirst().get();
            FidJob.Entry b = entries.stream().filter(e -> e.point().id().equals(c.baselineId())).findFirst().get();
            diffs.add(new FidJob.Difference(c, a, b, a.fid() - b.fid(), 0.5));
        }
        return new FidJob.Results(entries, diffs, 2, Double.NaN, Double.NaN, "v1", PROVENANCE);
    }

    @Test
    void fidCsvKeepsItsColumnsAndNumberFormatAndStatesTheReference() throws Exception {
        String csv = FidJob.fidTable(CONFIG, results(10, 10, 10, 10)).toCsv();
        String header = csv.substring(0, csv.indexOf('\n'));
        assertEquals("config_id,sampler,grid,nfe_requested,steps,nfe,n,fid,fid_se,jackknife_groups,floor_mean,"
                + "floor_sd,model,sweep,seed_start,code_version,n_reference,detector,reference,network_calls", header);
        try (CSVParser p = CSVParser.parse(new StringReader(csv),
                Table.CSV.builder().setHeader().setSkipHeaderRecord(true).get())) {
            List<CSVRecord> rows = p.getRecords();
            assertEquals(4, rows.size());
            CSVRecord r = rows.get(0);
            assertEquals(String.format(java.util.Locale.ROOT, "%.17g", 1.0 / 3), r.get("fid"));
            assertEquals("0.12500000000000000", r.get("fid_se"));
            assertEquals("NaN", r.get("floor_mean"));
            assertEquals("10", r.get("n"));
            assertEquals("50000", r.get("n_reference"));
            assertEquals("none", r.get("detector"));
            assertEquals("ref.npz@ab12", r.get("reference"));
            assertEquals(r.get("nfe"), r.get("network_calls"), "an unguided config calls its network once per NFE");
        }
        String diffs = FidJob.differencesTable(CONFIG, results(10, 10, 10, 10)).toCsv();
        assertTrue(diffs.startsWith("comparison,nfe_requested,candidate_id,baseline_id,candidate_nfe,baseline_nfe,"
                + "candidate_fid,baseline_fid,difference,difference_se,jackknife_groups,model,code_version,n,"
                + "n_reference,detector,reference\n"), diffs);
        assertTrue(FidJob.markdown(CONFIG, results(10, 10, 10, 10)).contains("n_reference 50000"));
    }

    @Test
    void aTableOrPlotOfDifferentNIsRefused() {
        FidJob.Results mixed = results(10, 10, 10, 9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FidJob.fidTable(CONFIG, mixed));
        assertTrue(e.getMessage().contains("n = 9") && e.getMessage().contains("n = 10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FidJob.markdown(CONFIG, mixed));
        assertThrows(IllegalArgumentException.class, () -> FidJob.plot(CONFIG, mixed, new ByteArrayOutputStream()));
        assertThrows(IllegalArgumentException.class, () -> FidJob.differencesTable(CONFIG, mixed));
    }

    /**
     * A class is flagged n<=D while its covariance cannot have full rank (n − 1 < D), n<2 without a covariance, no
     * reference without the reference's class; an unconditional config's fid.md has no per-class section.
     */
    @Test
    void perClassFlagsFollowTheRankOfTheCovariance() {
        assertEquals("n<2", FidJob.classFlag(0, 4, true));
        assertEquals("n<2", FidJob.classFlag(1, 4, true));
        assertEquals("n<=D", FidJob.classFlag(2, 4, true));
        assertEquals("n<=D", FidJob.classFlag(4, 4, true));
        assertEquals("", FidJob.classFlag(5, 4, true));
        assertEquals("no reference", FidJob.classFlag(500, 4, false));
        assertEquals("12.35 ± 0.51 (n 40)", FidJob.classCell(12.345678, 0.51234, 40, ""));
        assertEquals("– (n 1) n<2", FidJob.classCell(Double.NaN, Double.NaN, 1, "n<2"));
        assertEquals("", FidJob.classMarkdown(CONFIG, results(10, 10, 10, 10)));
        assertFalse(FidJob.markdown(CONFIG, results(10, 10, 10, 10)).contains("by class"));
    }
}
