package org.diffsweep.config;

import java.io.Serializable;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A network file a config names (a model or a detector): local path or any Hadoop URI, and its SHA-256, which
 * the driver fills in before a job starts ({@link #withSha256}) and executors check on their local copy.
 *
 * @param role      what the config calls it: {@code model} or {@code detector}
 * @param path      the file
 * @param sha256    its content hash (null until resolved)
 * @param signature {@code denoiser} ((x, sigma) → D), {@code epsilon} ((x, t) → ε), {@code psld-epsilon}
 *                  ((z = [x, m] on channels, t) → ε) or {@code detector}
 * @param shape     C, H, W of one sample (models); unused for detectors
 * @param dim       output features (detectors); C·H·W for models
 * @param batch     most samples per forward pass
 * @param time      the ε-model's time input: {@code ddpm-index}, {@code vp-999t}, {@code process-time}; else null
 */
public record NetSpec(String role, String path, String sha256, String signature, int[] shape, int dim, int batch,
                      String time) implements Serializable {

    /** {@code labels} is read by {@link ModelSpec} (a class-conditional network's label input). */
    static final Set<String> MODEL_KEYS = Set.of("type", "path", "output", "shape", "batch", "time", "labels");
    static final Set<String> DETECTOR_KEYS = Set.of("path", "dim", "batch");

    static NetSpec model(Node node, org.diffsweep.io.Store store) {
        node.allowOnly(MODEL_KEYS);
        String path = SweepConfig.qualify(store, node.get("path").text(), node.get("path"));
        String output = node.text("output", "denoiser");
        if (!Set.of("denoiser", "epsilon", "psld-epsilon").contains(output)) {
            throw node.get("output").error("'" + output + "', expected denoiser ((x, sigma) -> D), epsilon ((x, t) -> eps)"
                    + " or psld-epsilon ((z = [x, m], t) -> eps)");
        }
        List<Node> dims = node.get("shape").nonEmptyList();
        if (dims.size() != 3) {
            throw node.get("shape").error(dims.size() + " numbers, expected [C, H, W]");
        }
        int[] shape = new int[3];
        for (int i = 0; i < 3; i++) {
            long v = dims.get(i).integer();
            if (v < 1 || v > 4096) {
                throw dims.get(i).error(v + ", expected 1 to 4096");
            }
            shape[i] = (int) v;
        }
        if (shape[0] != 1 && shape[0] != 3) {
            throw node.get("shape").error("C = " + shape[0] + ", expected 1 or 3 channels");
        }
        String time = null;
        if (output.equals("epsilon")) {
            time = node.text("time", null);
            if (time == null) {
                throw node.error("an epsilon model needs 'time': ddpm-index, vp-999t or process-time");
            }
            if (!Set.of("ddpm-index", "vp-999t", "process-time").contains(time)) {
                throw node.get("time").error("'" + time + "', expected ddpm-index, vp-999t or process-time");
            }
        } else if (node.has("time")) {
            throw node.get("time").error("only epsilon models take a time convention");
        }
        return new NetSpec("model", path, null, output, shape, shape[0] * shape[1] * shape[2], batch(node), time);
    }

    static NetSpec detector(Node node, org.diffsweep.io.Store store) {
        node.allowOnly(DETECTOR_KEYS);
        long dim = node.get("dim").integer();
        if (dim < 1 || dim > 1_000_000) {
            throw node.get("dim").error(dim + ", expected 1 to 1000000 features");
        }
        String path = SweepConfig.qualify(store, node.get("path").text(), node.get("path"));
        return new NetSpec("detector", path, null, "detector", null, (int) dim, batch(node), null);
    }

    private static int batch(Node node) {
        long b = node.integer("batch", 256);
        if (b < 1 || b > 1_000_000) {
            throw node.get("batch").error(b + ", expected 1 to 1000000");
        }
        return (int) b;
    }

    /** The same network with its content hash. */
    public NetSpec withSha256(String hash) {
        return new NetSpec(role, path, hash, signature, shape, dim, batch, time);
    }

    /** Resolves the hash with a function from path to SHA-256 (the driver's file system). */
    public NetSpec resolve(UnaryOperator<String> hasher) {
        return sha256 != null ? this : withSha256(hasher.apply(path));
    }

    /** Identity in outputs: file name and the first 12 hex digits of its hash. */
    public String id() {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name + "@" + (sha256 == null ? "unhashed" : sha256.substring(0, 12));
    }
}
