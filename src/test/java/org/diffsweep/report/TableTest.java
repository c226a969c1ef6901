package org.diffsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

class TableTest {

    static final Table.Provenance PROVENANCE = new Table.Provenance("gmm-2d@abc", "none", "ref <a>.npz",
            "0123abcd", "unknown", 100, Table.Provenance.seeds(0, 100), "v1 \"dirty\"");

    static Table table() {
        return new Table("FID & friends", PROVENANCE, List.of(
                Table.Column.string("sampler", "the sampler"),
                Table.Column.integer("nfe", "network evaluations"),
                Table.Column.count("n", "samples"),
                Table.Column.real("fid", "%.17g", "FID <lower is better>")))
                .add("deis(order=3, variant=tab)", 10, 100L, 1.25)
                .add("say \"hi\"\nsecond line", 20, 100L, Double.NaN)
                .add("a | b <b>&</b>", 40, 100L, null);
    }

    @Test
    void csvRoundTripsCommasQuotesAndNewlines() throws Exception {
        Table t = table();
        String csv = t.toCsv();
        assertTrue(csv.startsWith("sampler,nfe,n,fid\n"), csv);
        List<CSVRecord> records;
        try (CSVParser p = CSVParser.parse(new StringReader(csv),
                Table.CSV.builder().setHeader().setSkipHeaderRecord(true).get())) {
            assertEquals(t.names(), p.getHeaderNames());
            records = p.getRecords();
        }
        assertEquals(3, records.size());
        assertEquals("deis(order=3, variant=tab)", records.get(0).get("sampler"));
        assertEquals("say \"hi\"\nsecond line", records.get(1).get("sampler"));
        assertEquals("a | b <b>&</b>", records.get(2).get("sampler"));
        assertEquals("1.2500000000000000", records.get(0).get("fid"));
        assertEquals(1.25, Double.parseDouble(records.get(0).get("fid")));
        assertEquals("NaN", records.get(1).get("fid"));
        assertEquals("", records.get(2).get("fid"));
        assertEquals("20", records.get(1).get("nfe"));
        // plain values are not quoted, so the numbers read as numbers by any reader
        assertTrue(csv.contains("\n\"deis(order=3, variant=tab)\",10,100,1.2500000000000000\n"), csv);
    }

    @Test
    void markdownEscapesPipesAndLineBreaks() {
        String md = table().toMarkdown();
        assertTrue(md.contains("| a \\| b <b>&</b> | 40 | 100 | |"), md);
        assertTrue(md.contains("| say \"hi\" second line | 20 | 100 | NaN |"), md);
        assertTrue(md.startsWith("model gmm-2d@abc, detector none, reference ref <a>.npz, reference sha256 0123abcd, "
                + "n_reference unknown, n_generated 100, seeds 0–99, code v1 \"dirty\"\n"), md);
        for (String line : md.split("\n")) {
            if (line.startsWith("|")) {
                // every row has as many unescaped cell separators as the header
                assertEquals(5, line.replace("\\|", "").chars().filter(c -> c == '|').count(), line);
            }
        }
    }

    @Test
    void htmlEscapesEveryText() {
        String html = table().toHtml();
        assertTrue(html.startsWith("<table"), html);
        assertTrue(html.contains("<caption><strong>FID &amp; friends</strong>"), html);
        assertTrue(html.contains("reference: ref &lt;a&gt;.npz"), html);
        assertTrue(html.contains("code: v1 &quot;dirty&quot;"), html);
        assertTrue(html.contains("n_reference: unknown"), html);
        assertTrue(html.contains("<th title=\"FID &lt;lower is better&gt;\">fid</th>"), html);
        assertTrue(html.contains("<td>a | b &lt;b&gt;&amp;&lt;/b&gt;</td>"), html);
        assertFalse(html.contains("<b>"), html);
        assertTrue(html.trim().endsWith("</table>"), html);
    }

    @Test
    void rowsAreCheckedAgainstTheSchema() {
        Table t = table();
        assertThrows(IllegalArgumentException.class, () -> t.add("x", 1, 2L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.add("x", 1, 2L, "1.0"));
        assertTrue(e.getMessage().contains("fid"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.add("x", 1.5, 2L, 1.0));
    }

    @Test
    void comparisonsOfDifferentNAreRefused() {
        Table.requireSameN("a", 1000, "b", 1000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Table.requireSameN("euler", 1000, "heun", 5000));
        assertTrue(e.getMessage().contains("euler (n = 1000)") && e.getMessage().contains("heun (n = 5000)"),
                e.getMessage());
        Map<String, Long> ns = new LinkedHashMap<>();
        ns.put("a", 50L);
        ns.put("b", 50L);
        assertEquals(50, Table.requireOneN(ns));
        ns.put("c", 49L);
        e = assertThrows(IllegalArgumentException.class, () -> Table.requireOneN(ns));
        assertTrue(e.getMessage().contains("n = 49") && e.getMessage().contains("n = 50"), e.getMessage());
    }
}
