package org.diffsweep.stats;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Metadata of the statistics files as header comment lines {@code # key: value}: keys are lower-case words
 * ({@code [a-z][a-z0-9_]*}), values one line with no surrounding blanks. Comment lines of any other shape are
 * free text and read back as nothing.
 */
final class Metadata {

    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern LINE = Pattern.compile("#\\s*([a-z][a-z0-9_]*):\\s?(.*)");

    private Metadata() {
    }

    /** Appends the entries as comment lines, in the map's order. */
    static void write(StringBuilder out, Map<String, String> entries, String what) {
        for (Map.Entry<String, String> e : entries.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key == null || !KEY.matcher(key).matches()) {
                throw new IllegalArgumentException(what + ": metadata key '" + key
                        + "', expected a lower-case word [a-z][a-z0-9_]*");
            }
            if (value == null || value.contains("\n") || value.contains("\r") || !value.equals(value.strip())) {
                throw new IllegalArgumentException(what + ": metadata " + key + " = '" + value
                        + "', expected one line without leading or trailing blanks");
            }
            out.append("# ").append(key).append(": ").append(value).append('\n');
        }
    }

    /** Parses a comment line {@code # key: value} into {@code into}; other lines are ignored. */
    static void read(String line, Map<String, String> into) {
        java.util.regex.Matcher m = LINE.matcher(line.strip());
        if (m.matches()) {
            into.put(m.group(1), m.group(2).strip());
        }
    }

    /** The caller's entries, checked not to use one of the reserved keys. */
    static Map<String, String> userEntries(Map<String, String> entries, String what, String... reserved) {
        Map<String, String> copy = new LinkedHashMap<>(entries);
        for (String key : reserved) {
            if (copy.containsKey(key)) {
                throw new IllegalArgumentException(what + ": metadata key '" + key
                        + "' is written by the writer itself, expected it left out");
            }
        }
        return copy;
    }
}
