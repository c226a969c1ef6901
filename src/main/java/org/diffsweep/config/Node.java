package org.diffsweep.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A YAML node with its path in the document, so that every error names where it is
 * ({@code samplers[1].name}) and what was expected.
 */
final class Node {

    private final JsonNode json;
    private final String path;
    private final String file;

    Node(JsonNode json, String path, String file) {
        this.json = json;
        this.path = path;
        this.file = file;
    }

    String path() {
        return path.isEmpty() ? "(top level)" : path;
    }

    ConfigException error(String message) {
        return new ConfigException(file + ": " + path() + ": " + message);
    }

    private String childPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
        return json.has(key) && !json.get(key).isNull();
    }

    Node get(String key) {
        if (!json.isObject()) {
            throw error("expected a mapping, found " + kind(json));
        }
        if (!has(key)) {
            throw new ConfigException(file + ": " + childPath(key) + ": missing");
        }
        return new Node(json.get(key), childPath(key), file);
    }

    /** The same mapping without some of its keys (same path in messages). */
    Node without(Set<String> keys) {
        if (!json.isObject()) {
            throw error("expected a mapping, found " + kind(json));
        }
        com.fasterxml.jackson.databind.node.ObjectNode copy = ((com.fasterxml.jackson.databind.node.ObjectNode) json)
                .deepCopy();
        copy.remove(keys);
        return new Node(copy, path, file);
    }

    /** Refuses keys other than the allowed ones (typos must not be silently ignored). */
    void allowOnly(Set<String> allowed) {
        if (!json.isObject()) {
            throw error("expected a mapping, found " + kind(json));
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw new ConfigException(file + ": " + childPath(key) + ": unknown key, expected one of "
                        + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    String text() {
        if (!json.isTextual()) {
            throw error("expected a string, found " + kind(json));
        }
        return json.asText();
    }

    String text(String key, String fallback) {
        return has(key) ? get(key).text() : fallback;
    }

    double number() {
        if (!json.isNumber()) {
            throw error("expected a number, found " + kind(json));
        }
        double v = json.asDouble();
        if (!Double.isFinite(v)) {
            throw error(v + " is not finite");
        }
        return v;
    }

    double number(String key, double fallback) {
        return has(key) ? get(key).number() : fallback;
    }

    long integer() {
        if (!json.isIntegralNumber() || !json.canConvertToLong()) {
            throw error("expected an integer, found " + kind(json));
        }
        return json.asLong();
    }

    long integer(String key, long fallback) {
        return has(key) ? get(key).integer() : fallback;
    }

    List<Node> list() {
        if (!json.isArray()) {
            throw error("expected a list, found " + kind(json));
        }
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < json.size(); i++) {
            out.add(new Node(json.get(i), path + "[" + i + "]", file));
        }
        return out;
    }

    /** A non-empty list. */
    List<Node> nonEmptyList() {
        List<Node> out = list();
        if (out.isEmpty()) {
            throw error("empty list, expected at least one entry");
        }
        return out;
    }

    double[] numbers() {
        List<Node> items = nonEmptyList();
        double[] out = new double[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = items.get(i).number();
        }
        return out;
    }

    /** The entries of a mapping other than {@code exclude}, as plain values. */
    Map<String, Object> options(Set<String> exclude) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (exclude.contains(e.getKey())) {
                continue;
            }
            JsonNode v = e.getValue();
            out.put(e.getKey(), v.isNumber() ? (Object) v.asDouble() : v.isBoolean() ? v.asBoolean() : v.asText());
        }
        return out;
    }

    JsonNode json() {
        return json;
    }

    private static String kind(JsonNode n) {
        if (n.isObject()) {
            return "a mapping";
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isNull()) {
            return "nothing";
        }
        return "'" + n.asText() + "'";
    }
}
