package org.diffsweep.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;

/**
 * A sweep's manifest: everything that determines its samples (the "plan": model, detector, process, seeds, blocks,
 * configs with their noise levels), plus the code version and time that produced it. An output directory
 * holds one plan: a rerun with the same plan resumes it, a different plan is refused. What does not change the
 * samples is not in the plan: the reference statistics (only the fid stage reads them, and its table names them),
 * or where the output and the network files are (networks are identified by their content hash).
 */
public final class Manifest {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Manifest() {
    }

    /** The plan of a sweep as JSON. */
    public static ObjectNode plan(SweepConfig c) {
        ObjectNode plan = JSON.createObjectNode();
        plan.put("name", c.name());
        ObjectNode model = plan.putObject("model");
        model.put("id", c.model().id());
        model.put("type", c.model().type());
        model.put("spec", c.model().json());
        plan.put("detector", c.detector() == null ? "none" : c.detector().id());
        if (c.multiDetector()) {
            // Only a detectors: list adds this key, so the plan of a single-detector sweep is as it always was.
            ArrayNode detectors = plan.putArray("detectors");
            for (org.diffsweep.config.DetectorSpec d : c.detectors()) {
                detectors.addObject().put("name", d.name()).put("id", d.net().id()).put("column", d.column());
            }
        }
        plan.put("grid_images", c.gridImages());
        plan.put("process", c.family().process());
        plan.putObject("seeds").put("start", c.seedStart()).put("count", c.seedCount());
        plan.put("block_size", c.blockSize());
        // Labels and a guide change the samples; a sweep without them keeps the plan it always had.
        if (c.labels() != null) {
            ArrayNode classes = plan.putArray("labels");
            for (int k : c.labels().classes()) {
                classes.add(k);
            }
            if (c.labels().cycle()) {
                plan.put("labels_cycle", true); // seed s takes entry s mod n (absent: each seed draws one)
            }
        }
        if (c.guide() != null) {
            ObjectNode guide = plan.putObject("guide");
            guide.put("id", c.guide().id());
            guide.put("spec", c.guide().json());
        }
        ArrayNode configs = plan.putArray("configs");
        for (SweepPoint p : c.points()) {
            ObjectNode o = configs.addObject();
            o.put("config_id", p.id());
            o.put("sampler", p.sampler());
            o.put("grid", p.grid());
            o.put("nfe_requested", p.nfeRequested());
            o.put("steps", p.steps());
            o.put("nfe", p.nfe());
            if (p.guidance() != null) {
                o.put("guidance", p.guidance());
                o.put("network_calls", p.networkCalls());
            }
            p.cell().provenance().forEach(o::put);
            ArrayNode sigmas = o.putArray(p.cell().levelsName());
            for (double s : p.levels()) {
                sigmas.add(s);
            }
        }
        return plan;
    }

    /**
     * Writes the manifest if the directory has none; checks it if it has one.
     *
     * @throws ConfigException if the directory holds a different sweep
     */
    public static void writeOrCheck(SweepConfig c, SweepLayout layout, Configuration conf, String codeVersion)
            throws IOException {
        Path path = layout.manifest();
        FileSystem fs = path.getFileSystem(conf);
        // Through text and back, so that numbers compare as they read back (an int, not a long).
        com.fasterxml.jackson.databind.JsonNode plan = JSON.readTree(JSON.writeValueAsString(plan(c)));
        if (fs.exists(path)) {
            ObjectNode existing;
            try (InputStream in = fs.open(path)) {
                existing = (ObjectNode) JSON.readTree(in);
            }
            com.fasterxml.jackson.databind.JsonNode old = existing.get("plan");
            if (old instanceof ObjectNode o && o.has("reference")) {
                o = o.deepCopy();
                o.remove("reference"); // earlier manifests recorded it; it never changed the samples
                old = o;
            }
            if (!plan.equals(old)) {
                throw new ConfigException("output " + layout.root() + " holds a different sweep (its manifest "
                        + path + " does not match this config), expected the same plan or a new output directory");
            }
            return;
        }
        ObjectNode manifest = JSON.createObjectNode();
        manifest.set("plan", plan);
        manifest.put("code_version", codeVersion);
        manifest.put("created", Instant.now().toString());
        writeAtomically(fs, path, JSON.writeValueAsString(manifest));
    }

    /** Writes a small text file via a temporary name and a rename, so a reader never sees half of it. */
    public static void writeAtomically(FileSystem fs, Path path, String text) throws IOException {
        Path tmp = new Path(path.getParent(), "_" + path.getName() + ".tmp");
        fs.mkdirs(path.getParent());
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        fs.delete(path, false);
        if (!fs.rename(tmp, path)) {
            throw new IOException("could not rename " + tmp + " to " + path);
        }
    }

    public static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
