package org.diffsweep.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code export:} key: write every sample of some configs as images, so that other FID tools (EDM's
 * {@code fid.py}, pytorch-fid) can be run on exactly the samples the sweep measured. It is not part of the sweep's
 * plan (the samples do not depend on it): adding it to a finished sweep resamples only the blocks it exports.
 *
 * @param format    {@code png} (one file per seed) or {@code npz} (one uint8 [N, H, W, C] array per config)
 * @param configIds the ids of the configs to export, in the order of the sweep
 */
public record Export(String format, List<String> configIds) implements Serializable {

    /** The formats {@code format} accepts. */
    public static final List<String> FORMATS = List.of("png", "npz");

    /** Whether a config's samples are exported. */
    public boolean exports(String configId) {
        return configIds.contains(configId);
    }

    /** The same export after configs changed ids (statistics read in; see {@link SweepConfig#withNeedsMet}). */
    Export renamed(Map<String, String> ids) {
        return new Export(format, configIds.stream().map(id -> ids.getOrDefault(id, id)).toList());
    }

    /**
     * Parses {@code export: {configs: [...], format: png | npz}}. Each entry of {@code configs} is {@code all}, a
     * sampler's label (all of its configs) or a config id.
     */
    static Export parse(Node node, ModelSpec model, List<SweepPoint> points, List<String> samplerLabels) {
        node.allowOnly(Set.of("configs", "format"));
        // (an image model's shape has 1 or 3 channels: grayscale or RGB images)
        if (model.imageShape() == null) {
            throw node.error("samples of model type " + model.type() + " are not images, expected an image model "
                    + "(type: djl with a shape) to export");
        }
        String format = node.text("format", "png");
        if (!FORMATS.contains(format)) {
            throw node.get("format").error("'" + format + "', expected png or npz");
        }
        LinkedHashSet<String> chosen = new LinkedHashSet<>();
        for (Node c : node.get("configs").nonEmptyList()) {
            String v = c.text();
            List<String> ids = new ArrayList<>();
            for (SweepPoint p : points) {
                if (v.equals("all") || p.id().equals(v) || p.label().startsWith(v + " | ")) {
                    ids.add(p.id());
                }
            }
            if (ids.isEmpty() || (!v.equals("all") && !samplerLabels.contains(v)
                    && points.stream().noneMatch(p -> p.id().equals(v)))) {
                throw c.error("'" + v + "' names no config, expected 'all', a sampler label ("
                        + String.join(", ", samplerLabels) + ") or a config id");
            }
            chosen.addAll(ids);
        }
        List<String> inOrder = points.stream().map(SweepPoint::id).filter(chosen::contains).toList();
        return new Export(format, inOrder);
    }
}
