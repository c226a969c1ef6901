package org.diffsweep.config;

import java.io.Serializable;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.diffsweep.diffusion.ModelTime;

/**
 * A network file a config names (a model or a detector): local path or any Hadoop URI, and its SHA-256, which
 * the driver fills in before a job starts ({@link #withSha256}) and executors check on their local copy.
 *
 * @param role      what the config calls it: {@code model} or {@code detector}
 * @param path      the file
 * @param sha256    its content hash (null until resolved)
 * @param signature {@code denoiser} ((x, sigma) → D), {@code epsilon} ((x, t) → ε), {@code v} ((x, t) → v),
 *                  {@code sample} ((x, t) → x₀), {@code psld-epsilon} ((z = [x, m] on channels, t) → ε) or
 *                  {@code detector}
 * @param shape     C, H, W of one sample (models); unused for detectors
 * @param dim       output features (detectors); C·H·W for models
 * @param batch     most samples per forward pass
 * @param time      the time input of an epsilon, v or sample network (a {@code ModelTime} name: {@code ddpm-index},
 *                  {@code ddpm-index-log-sigma}, {@code vp-999t}, {@code process-time}, {@code sigma},
 *                  {@code c-noise}); else null
 * @param timeDtype the time tensor's type where there is a time input: {@code float32} or {@code int64}; else null
 */
public record NetSpec(String role, String path, String sha256, String signature, int[] shape, int dim, int batch,
                      String time, String timeDtype) implements Serializable {

    /** {@code labels} is read by {@link ModelSpec} (a class-conditional network's label input). */
    static final Set<String> MODEL_KEYS = Set.of("type", "path", "output", "shape", "batch", "time", "time_dtype",
            "labels");
    /** The outputs of networks without preconditioning, which take a time convention. */
    static final Set<String> RAW_OUTPUTS = Set.of("epsilon", "v", "sample");

    /** A network without a time tensor type (a detector, a denoiser, a PSLD network). */
    public NetSpec(String role, String path, String sha256, String signature, int[] shape, int dim, int batch,
                   String time) {
        this(role, path, sha256, signature, shape, dim, batch, time, time == null ? null : "float32");
    }
    static final Set<String> DETECTOR_KEYS = Set.of("path", "dim", "batch");

    static NetSpec model(Node node, org.diffsweep.io.Store store) {
        node.allowOnly(MODEL_KEYS);
        String path = SweepConfig.qualify(store, node.get("path").text(), node.get("path"));
        String output = node.text("output", "denoiser");
        if (!Set.of("denoiser", "epsilon", "v", "sample", "psld-epsilon").contains(output)) {
            throw node.get("output").error("'" + output + "', expected denoiser ((x, sigma) -> D), epsilon "
                    + "((x, t) -> eps), v ((x, t) -> v = alpha*eps - sigma*x0), sample ((x, t) -> x0) or psld-epsilon "
                    + "((z = [x, m], t) -> eps)");
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
        String timeDtype = null;
        if (RAW_OUTPUTS.contains(output)) {
            time = node.text("time", null);
            if (time == null) {
                throw node.error((output.equals("epsilon") ? "an " : "a ") + output + " model needs 'time': "
                        + ModelTime.names());
            }
            ModelTime convention;
            try {
                convention = ModelTime.of(time);
            } catch (IllegalArgumentException e) {
                throw node.get("time").error("'" + time + "', expected one of "
                        + ModelTime.names());
            }
            timeDtype = node.text("time_dtype", "float32");
            if (!Set.of("float32", "int64").contains(timeDtype)) {
                throw node.get("time_dtype").error("'" + timeDtype
                        + "', expected float32 or int64 (the time tensor's type)");
            }
            if (timeDtype.equals("int64") && !convention.isStepIndex()) {
                throw node.get("time_dtype").error("int64 with time '" + time + "', expected an integer time: "
                        + "ddpm-index or ddpm-index-log-sigma (or time_dtype float32)");
            }
        } else if (node.has("time")) {
            throw node.get("time").error("only epsilon, v and sample models take a time convention");
        } else if (node.has("time_dtype")) {
            throw node.get("time_dtype").error("only epsilon, v and sample models have a time input");
        }
        return new NetSpec("model", path, null, output, shape, shape[0] * shape[1] * shape[2], batch(node), time,
                timeDtype);
    }

    /**
     * A config's {@code detector:}. Without {@code dim} the dimension is the one the file states (NVIDIA's
     * inception-2015-12-05 interface: 2048; a tools/detectors build: its metadata), filled in with the hash
     * ({@link #withDim}); 0 until then.
     */
    static NetSpec detector(Node node, org.diffsweep.io.Store store) {
        node.allowOnly(DETECTOR_KEYS);
        long dim = node.has("dim") ? node.get("dim").integer() : 0;
        if (node.has("dim") && (dim < 1 || dim > 1_000_000)) {
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

    /** The same network with its feature dimension. */
    public NetSpec withDim(int d) {
        return new NetSpec(role, path, sha256, signature, shape, d, batch, time, timeDtype);
    }

    /** The same network with its content hash. */
    public NetSpec withSha256(String hash) {
        return new NetSpec(role, path, hash, signature, shape, dim, batch, time, timeDtype);
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
