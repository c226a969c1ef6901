package org.diffsweep.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * A result table (FID, KID, precision/recall, paired differences, distances, oracle errors) as one schema: ordered,
 * typed columns, rows, and the provenance every table states (model, detector, reference and both n). The same table
 * is written as CSV (RFC 4180), Markdown and an HTML fragment here, and as Parquet by
 * {@code org.diffsweep.spark.TableParquet}, so the formats cannot drift apart. Numbers are formatted once, by their
 * column; a null cell is empty in every text format.
 */
public final class Table {

    /** A column's type; Parquet maps them to string, int, long and double. */
    public enum Type { STRING, INT, LONG, DOUBLE }

    /**
     * @param format  for DOUBLE, the {@link String#format} pattern of a value in text outputs (Locale.ROOT)
     * @param meaning what the column holds, with its unit where it has one (Markdown/HTML column descriptions)
     */
    public record Column(String name, Type type, String format, String meaning) {

        public static Column string(String name, String meaning) {
            return new Column(name, Type.STRING, null, meaning);
        }

        public static Column integer(String name, String meaning) {
            return new Column(name, Type.INT, null, meaning);
        }

        public static Column count(String name, String meaning) {
            return new Column(name, Type.LONG, null, meaning);
        }

        public static Column real(String name, String format, String meaning) {
            return new Column(name, Type.DOUBLE, format, meaning);
        }

        /** The cell's text: empty for null, a DOUBLE by the column's format. */
        public String text(Object value) {
            if (value == null) {
                return "";
            }
            if (type == Type.DOUBLE) {
                return String.format(Locale.ROOT, format, ((Number) value).doubleValue());
            }
            return value.toString();
        }

        void check(Object value) {
            boolean ok = switch (type) {
                case STRING -> value instanceof CharSequence;
                case INT -> value instanceof Integer;
                case LONG -> value instanceof Long || value instanceof Integer;
                case DOUBLE -> value instanceof Double || value instanceof Float;
            };
            if (value != null && !ok) {
                throw new IllegalArgumentException("column " + name + " is " + type.name().toLowerCase(Locale.ROOT)
                        + ", got " + value.getClass().getSimpleName() + " " + value);
            }
        }
    }

    /**
     * Where a table's numbers come from.
     *
     * @param model         the model's identity (with its file's hash for networks)
     * @param detector      the feature detector's identity with its hash, or "none" (features = samples)
     * @param reference     what the samples are measured against: "exact", a file name, an anchor sweep
     * @param referenceHash the reference's content hash, or "none"
     * @param nReference    the reference's sample size: a number, "exact" or "unknown"
     * @param nGenerated    samples per config
     * @param seeds         the seeds, e.g. {@code 0–999}
     */
    public record Provenance(String model, String detector, String reference, String referenceHash,
                             String nReference, long nGenerated, String seeds, String codeVersion) {

        /** The reference's sample size as tables state it: n, or "unknown" for 0 (files without n). */
        public static String nReference(long n) {
            return n > 0 ? Long.toString(n) : "unknown";
        }

        /** The seeds {@code start–start+count−1}. */
        public static String seeds(long start, long count) {
            return start + "–" + (start + count - 1);
        }

        /** Name and value pairs, in the order they are printed. */
        public Map<String, String> fields() {
            Map<String, String> m = new java.util.LinkedHashMap<>();
            m.put("model", model);
            m.put("detector", detector);
            m.put("reference", reference);
            m.put("reference sha256", referenceHash);
            m.put("n_reference", nReference);
            m.put("n_generated", Long.toString(nGenerated));
            m.put("seeds", seeds);
            m.put("code", codeVersion);
            return m;
        }

        /** One line: {@code model …, detector …, reference …, …}. */
        public String line() {
            List<String> parts = new ArrayList<>();
            fields().forEach((k, v) -> parts.add(k + " " + v));
            return String.join(", ", parts);
        }
    }

    private final String title;
    private final Provenance provenance;
    private final List<Column> columns;
    private final List<Object[]> rows = new ArrayList<>();

    /**
     * The columns that name a config (id, sampler, grid, NFE requested, steps, NFE used), which every per-config
     * table starts with, followed by {@code more}.
     */
    public static List<Column> configColumns(Column... more) {
        List<Column> out = new java.util.ArrayList<>(List.of(
                Column.string("config_id", "the config (sampler, grid, NFE)"),
                Column.string("sampler", "the sampler and its options"),
                Column.string("grid", "the time/noise-level grid"),
                Column.integer("nfe_requested", "the NFE budget of the config"),
                Column.integer("steps", "sampler steps"),
                Column.integer("nfe", "network evaluations actually used")));
        out.addAll(List.of(more));
        return out;
    }

    public Table(String title, Provenance provenance, List<Column> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.title = title;
        this.provenance = provenance;
        this.columns = List.copyOf(columns);
    }

    /** Appends a row, one value per column in order (null: empty); checks each value against its column's type. */
    public Table add(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("row has " + values.length + " values, expected " + columns.size()
                    + " (" + names() + ")");
        }
        for (int i = 0; i < values.length; i++) {
            columns.get(i).check(values[i]);
        }
        rows.add(values.clone());
        return this;
    }

    public String title() {
        return title;
    }

    public Provenance provenance() {
        return provenance;
    }

    public List<Column> columns() {
        return columns;
    }

    public List<String> names() {
        return columns.stream().map(Column::name).toList();
    }

    /** The rows' values (not text), in order. */
    public List<Object[]> rows() {
        return Collections.unmodifiableList(rows.stream().map(Object[]::clone).toList());
    }

    /** The text of cell (row, column). */
    public String text(int row, int column) {
        return columns.get(column).text(rows.get(row)[column]);
    }

    private List<String> texts(int row) {
        List<String> out = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            out.add(text(row, c));
        }
        return out;
    }

    /** The CSV format of every table: RFC 4180 quoting (only where needed), one header line, '\n' between records. */
    public static final CSVFormat CSV = CSVFormat.RFC4180.builder().setRecordSeparator('\n').get();

    /** Header and rows as RFC 4180 CSV; the provenance lives in the columns the table carries, not in comments. */
    public String toCsv() {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter out = new CSVPrinter(sb, CSV)) {
            out.printRecord(names());
            for (int r = 0; r < rows.size(); r++) {
                out.printRecord(texts(r));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /** The provenance line and the table in Markdown, '|' escaped in every cell. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(escapeMarkdown(provenance.line())).append("\n\n|");
        for (Column c : columns) {
            sb.append(' ').append(escapeMarkdown(c.name())).append(" |");
        }
        sb.append("\n|");
        for (Column c : columns) {
            sb.append(c.type() == Type.STRING ? "---|" : "---:|");
        }
        sb.append('\n');
        for (int r = 0; r < rows.size(); r++) {
            sb.append('|');
            for (String t : texts(r)) {
                sb.append(t.isEmpty() ? " |" : " " + escapeMarkdown(t) + " |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** A text safe in a Markdown table cell: '|' and '\' escaped, line breaks as spaces. */
    public static String escapeMarkdown(String s) {
        return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }

    /**
     * The table as an HTML fragment: a {@code <table>} whose {@code <caption>} holds the title and the provenance,
     * each header cell's {@code title} the column's meaning; every text escaped, numbers in cells of class "num".
     */
    public String toHtml() {
        StringBuilder sb = new StringBuilder("<table class=\"result\">\n<caption>");
        sb.append("<strong>").append(escapeHtml(title)).append("</strong>");
        provenance.fields().forEach((k, v) -> sb.append("<br>").append(escapeHtml(k)).append(": ")
                .append(escapeHtml(v)));
        sb.append("</caption>\n<thead><tr>");
        for (Column c : columns) {
            sb.append("<th title=\"").append(escapeHtml(c.meaning())).append("\">").append(escapeHtml(c.name()))
                    .append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        for (int r = 0; r < rows.size(); r++) {
            sb.append("<tr>");
            for (int c = 0; c < columns.size(); c++) {
                sb.append(columns.get(c).type() == Type.STRING ? "<td>" : "<td class=\"num\">")
                        .append(escapeHtml(text(r, c))).append("</td>");
            }
            sb.append("</tr>\n");
        }
        return sb.append("</tbody>\n</table>\n").toString();
    }

    /** Text safe in HTML content and in double- or single-quoted attributes. */
    public static String escapeHtml(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    /**
     * The guard of every comparison: a difference or ratio between two rows is only meaningful on the same n (a
     * FID's bias depends on n), so rows of different n are refused.
     *
     * @throws IllegalArgumentException naming both rows and both n
     */
    public static void requireSameN(String candidate, long nCandidate, String baseline, long nBaseline) {
        if (nCandidate != nBaseline) {
            throw new IllegalArgumentException("cannot compare " + candidate + " (n = " + nCandidate + ") with "
                    + baseline + " (n = " + nBaseline + "): values of different n are not comparable");
        }
    }

    /**
     * The one n shared by rows that are shown side by side (one plot, one pivot table).
     *
     * @param nByRow row label → n, in order
     * @throws IllegalArgumentException naming the first two rows of different n
     */
    public static long requireOneN(Map<String, Long> nByRow) {
        String first = null;
        long n = -1;
        for (Map.Entry<String, Long> e : nByRow.entrySet()) {
            if (first == null) {
                first = e.getKey();
                n = e.getValue();
            } else {
                requireSameN(e.getKey(), e.getValue(), first, n);
            }
        }
        return n;
    }
}
