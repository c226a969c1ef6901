package org.diffsweep.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Markdown table with one row per label and one column per NFE budget, as the fid, oracle and distance jobs
 * print them. Rows and columns keep the order they were first put in; a missing or empty cell is left empty.
 */
public final class NfeTable {

    private final List<String> headers;
    private final List<Integer> nfes = new ArrayList<>();
    private final Map<String, Map<Integer, String>> rows = new LinkedHashMap<>();

    /**
     * @param headers the label columns' names; a row label spans them, its parts joined by {@code " | "}
     */
    public NfeTable(String... headers) {
        this.headers = List.of(headers);
    }

    /** Sets the cell of row {@code label} at {@code nfe}. */
    public NfeTable put(String label, int nfe, String cell) {
        if (!nfes.contains(nfe)) {
            nfes.add(nfe);
        }
        rows.computeIfAbsent(label, k -> new LinkedHashMap<>()).put(nfe, cell);
        return this;
    }

    /** The NFE columns, in the order first put. */
    public List<Integer> nfes() {
        return List.copyOf(nfes);
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The table with its own NFE columns. */
    public String markdown() {
        return markdown(nfes);
    }

    /** The table with the given NFE columns (e.g. another table's, so that two tables line up). */
    public String markdown(List<Integer> columns) {
        StringBuilder sb = new StringBuilder("|");
        headers.forEach(h -> sb.append(' ').append(h).append(" |"));
        columns.forEach(n -> sb.append(" NFE ").append(n).append(" |"));
        sb.append("\n|").append("---|".repeat(headers.size())).append("---:|".repeat(columns.size())).append('\n');
        for (Map.Entry<String, Map<Integer, String>> row : rows.entrySet()) {
            sb.append("| ").append(row.getKey()).append(" |");
            for (int n : columns) {
                String cell = row.getValue().get(n);
                sb.append(cell == null || cell.isEmpty() ? " |" : " " + cell + " |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
