package org.diffsweep.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.diffsweep.family.Cell;
import org.diffsweep.family.Family;
import org.diffsweep.family.Need;
import org.diffsweep.io.Store;
import org.diffsweep.rng.ClassDraw;

/**
 * One sweep, as a YAML file describes it: a model, a process, seeds, and the grid
 * samplers × time grids × NFE budgets. Parsing validates everything before any work starts.
 *
 * @param name      the sweep's name
 * @param output    the output directory (any Hadoop path)
 * @param model     the model
 * @param family    the sampler family with its process, which the grids are built on
 * @param seedStart first seed
 * @param seedCount number of seeds; every config uses the same seeds
 * @param blockSize seeds per committed block
 * @param batchSize samples per model call
 * @param points    the expanded grid, in the order of the file
 * @param reference the reference statistics FID is measured against: {@code exact} for analytic models, else
 *                  a {@code .npz} file (pytorch-fid / EDM / ref-stats)
 * @param detector  the feature network, or null: then the features are the samples themselves
 * @param gridImages how many samples of each config to tile into a PNG grid (image models; 0 for none)
 * @param comparisons the paired differences the FID table reports ({@code vs:} keys), possibly none
 * @param metrics   what the metrics stage measures (KID, precision/recall) and against which real features, or
 *                  null for no metrics stage; like the reference, not part of the sweep's plan
 * @param export    which configs' samples to write as images ({@code export:} key), or null; not part of the plan
 * @param detectors the named detectors of a {@code detectors:} list, or empty (a single {@code detector:}, or
 *                  none); with a list, {@code detector}, {@code reference} and the metrics' real features are the
 *                  first detector's, and {@link #forDetector} gives each detector's view
 * @param labels    how each seed's class label is drawn ({@code labels:} key; uniform by default for a
 *                  class-conditional model), or null for an unconditional model
 * @param guide     the second network of guidance ({@code guide:} key), or null: the model's own null label
 */
public record SweepConfig(String name, String output, ModelSpec model, Family family, long seedStart,
                          long seedCount, int blockSize, int batchSize, List<SweepPoint> points,
                          String reference, NetSpec detector, int gridImages, List<Comparison> comparisons,
                          MetricsSpec metrics, Export export, List<DetectorSpec> detectors, ClassDraw labels,
                          ModelSpec guide)
        implements Serializable {

    /** A sweep with at most one detector, without labels or a guide network. */
    public SweepConfig(String name, String output, ModelSpec model, Family family, long seedStart, long seedCount,
                       int blockSize, int batchSize, List<SweepPoint> points, String reference, NetSpec detector,
                       int gridImages, List<Comparison> comparisons, MetricsSpec metrics, Export export) {
        this(name, output, model, family, seedStart, seedCount, blockSize, batchSize, points, reference, detector,
                gridImages, comparisons, metrics, export, List.of(), null, null);
    }

    /** Whether the config lists named detectors ({@code detectors:}), whose tables have a column group each. */
    public boolean multiDetector() {
        return !detectors.isEmpty();
    }

    /**
     * The features Parquet column this config's FID reads: {@code features} (a single detector, none, or the first
     * of a list), or {@code features_<name>} in the view of a further detector ({@link #forDetector}).
     */
    public String featureColumn() {
        return detectors.isEmpty() ? "features" : detectors.get(0).column();
    }

    /**
     * The config as one detector of its list sees it: that detector, its reference and real features, its column;
     * the plan (model, seeds, configs) is the same. Its {@link #detectors} holds that detector alone.
     */
    public SweepConfig forDetector(DetectorSpec d) {
        MetricsSpec m = metrics == null ? null : metrics.withReferenceFeatures(d.referenceFeatures());
        return new SweepConfig(name, output, model, family, seedStart, seedCount, blockSize, batchSize, points,
                d.reference(), d.net(), gridImages, comparisons, m, export, List.of(d), labels, guide);
    }

    /** A sweep without a metrics stage or export. */
    public SweepConfig(String name, String output, ModelSpec model, Family family, long seedStart, long seedCount,
                       int blockSize, int batchSize, List<SweepPoint> points, String reference, NetSpec detector,
                       int gridImages, List<Comparison> comparisons) {
        this(name, output, model, family, seedStart, seedCount, blockSize, batchSize, points, reference, detector,
                gridImages, comparisons, null, null);
    }

    /**
     * The most seed blocks one sweep may plan (configs × blocks per config). The driver holds the plan, and every
     * block is a Spark task and a committed file: a million is already a very large sweep (500 configs × 50,000
     * seeds in blocks of 25); past it the driver would run out of memory before sampling anything.
     */
    public static final long MAX_BLOCKS = 1_000_000;

    /** Seeds are unsigned 32-bit integers, as in EDM's generate.py. */
    public static final long MAX_SEED = (1L << 32) - 1;

    private static final Set<String> TOP_KEYS = Set.of("name", "output", "model", "process", "seeds", "block_size",
            "batch_size", "samplers", "grids", "nfe", "reference", "detector", "grid_images", "metrics",
            "reference_features", "export", "detectors", "labels", "guidance", "guide");

    /** YAML with duplicate keys refused (otherwise the last one silently wins). */
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    /** The same sweep written elsewhere. */
    public SweepConfig withOutput(String dir) {
        return new SweepConfig(name, dir, model, family, seedStart, seedCount, blockSize, batchSize, points,
                reference, detector, gridImages, comparisons, metrics, export, detectors, labels, guide);
    }

    /** The same sweep with its detectors list replaced (the same detectors, resolved further by the driver). */
    public SweepConfig withDetectors(List<DetectorSpec> replaced) {
        if (replaced.size() != detectors.size()) {
            throw new IllegalArgumentException(replaced.size() + " detectors for " + detectors.size());
        }
        return new SweepConfig(name, output, model, family, seedStart, seedCount, blockSize, batchSize, points,
                reference, detector, gridImages, comparisons, metrics, export, List.copyOf(replaced), labels, guide);
    }

    /** The same sweep with the hashes of its network files resolved (by the driver, before a job starts). */
    public SweepConfig resolveFiles(java.util.function.UnaryOperator<String> hasher) {
        return resolveFiles(hasher, d -> d.resolve(hasher));
    }

    /** The same, each detector resolved by its own function (hash, and the dimension its file states). */
    public SweepConfig resolveFiles(java.util.function.UnaryOperator<String> hasher,
                                    java.util.function.UnaryOperator<NetSpec> detectorResolver) {
        List<DetectorSpec> resolved = detectors.stream().map(d -> d.withNet(detectorResolver.apply(d.net())))
                .toList();
        return new SweepConfig(name, output, model.resolve(hasher), family, seedStart, seedCount, blockSize,
                batchSize, points, reference, resolved.isEmpty() ? detector == null ? null
                : detectorResolver.apply(detector) : resolved.get(0).net(), gridImages, comparisons, metrics, export,
                resolved, labels, guide == null ? null : guide.resolve(hasher));
    }

    /** Statistics of a kind ({@link Need}) the config's cells need that do not exist yet. */
    public List<Need> needs(String kind) {
        List<Need> out = new ArrayList<>();
        for (SweepPoint p : points) {
            for (Need n : p.cell().needs()) {
                if (n.kind().equals(kind)) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    /** DEIS-SN norm tables the config names that do not exist yet (for {@code run} to make first). */
    public List<String> pendingNormTables() {
        return needs(Need.NORM_TABLE).stream().map(Need::path).distinct().toList();
    }

    /**
     * Schedules ({@code file} grids) the config names that do not exist yet, each with the step counts its
     * samplers take on it, ascending (for {@code run} to make first with the schedule job).
     */
    public Map<String, int[]> pendingSchedules() {
        Map<String, java.util.TreeSet<Integer>> steps = new java.util.LinkedHashMap<>();
        for (Need n : needs(Need.SCHEDULE)) {
            steps.computeIfAbsent(n.path(), k -> new java.util.TreeSet<>()).add(n.steps());
        }
        Map<String, int[]> out = new java.util.LinkedHashMap<>();
        steps.forEach((k, v) -> out.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return out;
    }

    /**
     * The same sweep with every statistic its cells needed read from its (now written) file, grids clamped and
     * checked like any; comparisons follow their configs' ids.
     *
     * @throws ConfigException if a file is still missing or lacks what a cell needs
     */
    public SweepConfig withNeedsMet() {
        Map<String, String> ids = new HashMap<>();
        List<SweepPoint> loaded = new ArrayList<>();
        for (SweepPoint p : points) {
            SweepPoint q = p;
            if (!p.cell().needs().isEmpty()) {
                try {
                    q = SweepPoint.of(p.cell().withNeedsMet(), p.guidance()).withLabel(p.label());
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name + ": " + e.getMessage());
                }
            }
            ids.put(p.id(), q.id());
            loaded.add(q);
        }
        List<Comparison> cmp = comparisons.stream().map(c -> new Comparison(c.name(), c.nfeRequested(),
                ids.get(c.candidateId()), ids.get(c.baselineId()))).toList();
        return new SweepConfig(name, output, model, family, seedStart, seedCount, blockSize, batchSize,
                List.copyOf(loaded), reference, detector, gridImages, cmp, metrics,
                export == null ? null : export.renamed(ids), detectors, labels, guide);
    }

    /**
     * Refuses a config that still names statistics to be made.
     *
     * @throws ConfigException naming the first missing DEIS-SN table or schedule
     */
    public void requireStatisticsMade() {
        if (!pendingNormTables().isEmpty()) {
            throw new ConfigException("deis-sn norm table " + pendingNormTables().get(0) + " does not exist, expected "
                    + "it made first: 'diffsweep norm-stats', or 'diffsweep run' makes it");
        }
        if (!pendingSchedules().isEmpty()) {
            throw new ConfigException("grid file " + pendingSchedules().keySet().iterator().next() + " does not "
                    + "exist, expected it made first: 'diffsweep schedule', or 'diffsweep run' makes it");
        }
    }

    /**
     * The config's EDM family, for the jobs only that family has.
     *
     * @throws ConfigException naming the job and the config's process otherwise
     */
    public org.diffsweep.family.EdmFamily edmFamily(String job) {
        try {
            return org.diffsweep.family.EdmFamily.require(family, job);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name + ": " + e.getMessage());
        }
    }

    /** Each seed's class label, or null for an unconditional sweep. */
    public int[] labelsOf(long[] seeds) {
        return labels == null ? null : labels.labels(seeds);
    }

    /**
     * The model whose exact statistics an analytic sweep is measured against: the model itself, or for a
     * class-conditional mixture the mixture of its classes weighted as the labels are drawn (what a sampler targets at
     * guidance 1).
     */
    public org.diffsweep.model.ModelKind referenceModel() {
        if (labels == null || model.mixture() == null) {
            return model;
        }
        org.diffsweep.model.GaussianMixture m = model.mixture().conditioned(labels.probabilities(model.classes()));
        String type = model.type();
        return new org.diffsweep.model.ModelKind() {
            @Override
            public String type() {
                return type;
            }

            @Override
            public org.diffsweep.model.GaussianMixture mixture() {
                return m;
            }
        };
    }

    /** The feature dimension: the detector's, else the model's sample size. */
    public int featureDim() {
        if (detector != null) {
            return detector.dim();
        }
        return model.mixture() != null ? model.mixture().dim() : model.net().dim();
    }

    /** Reads and validates a YAML file; its paths are qualified on the local file system. */
    public static SweepConfig load(Path file) {
        return load(file, Store.local());
    }

    /**
     * Reads and validates a YAML file. Every path it names (output, model, detector, reference, score tables,
     * schedules) comes back fully qualified by {@code store}, so executors anywhere read and write the same files;
     * a relative one is resolved against the folder that holds the file, not the working directory, so a config
     * means the files beside it wherever it is run from.
     */
    public static SweepConfig load(Path file, Store store) {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ConfigException(file + ": not UTF-8 text, expected a YAML sweep configuration");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read (" + e + ")");
        }
        return parse(text, file.toString(), store.relativeTo(folder(file)));
    }

    /** The folder that holds a local config file, as a qualified {@code file:} path. */
    static String folder(Path file) {
        Path dir = file.toAbsolutePath().normalize().getParent();
        return "file:" + (dir == null ? "/" : dir.toString());
    }

    /**
     * Parses and validates YAML text; {@code source} names it in error messages; local paths. Text has no folder:
     * its relative paths resolve against the working directory.
     */
    public static SweepConfig parse(String yaml, String source) {
        return parse(yaml, source, Store.local());
    }

    /** Parses and validates YAML text, qualifying its paths with {@code store}. */
    public static SweepConfig parse(String yaml, String source, Store store) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            // SnakeYAML's message: the context ("while scanning ..."), the problem ("found character ..."), each
            // followed by its mark (" in 'reader', line N, column M:") and an echo of the line; the problem's mark is
            // the line to fix
            String msg = e.getOriginalMessage();
            java.util.regex.Matcher mark = java.util.regex.Pattern.compile("line (\\d+), column \\d+").matcher(msg);
            String line = e.getLocation() == null ? null : Integer.toString(e.getLocation().getLineNr());
            while (mark.find()) {
                line = mark.group(1);
            }
            String what = String.join(": ", msg.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                    .map(String::strip).toList());
            throw new ConfigException(source + ": malformed YAML" + (line == null ? "" : " at line " + line) + ": "
                    + what);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException(source + ": empty file, expected a sweep configuration");
        }
        Node top = new Node(root, "", source);
        top.allowOnly(TOP_KEYS);

        String name = top.get("name").text();
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw top.get("name").error("'" + name + "', expected letters, digits, '.', '_' or '-'");
        }
        // The default output is no path the file names: like a command-line path, it lands under the working
        // directory.
        String output = top.has("output") ? qualify(store, top.get("output").text(), top.get("output"))
                : qualify(store.fromWorkingDirectory(), "runs/" + name, top);

        ModelSpec model = ModelSpec.parse(top.get("model"), store);
        Family family = parseFamily(top.has("process") ? top.get("process") : null).using(store);
        requireFits(family, top.has("process") ? top.get("process").get("name").text() : "edm", model, top);

        Node seeds = top.get("seeds");
        seeds.allowOnly(Set.of("start", "count"));
        long seedStart = seeds.integer("start", 0);
        long seedCount = seeds.get("count").integer();
        if (seedStart < 0 || seedStart > MAX_SEED) {
            throw seeds.get("start").error(seedStart + ", expected 0 <= start <= " + MAX_SEED);
        }
        if (seedCount < 1 || seedStart + seedCount - 1 > MAX_SEED) {
            throw seeds.get("count").error(seedCount + ", expected 1 <= count and start + count - 1 <= " + MAX_SEED);
        }

        int blockSize = (int) positive(top, "block_size", 500, 1_000_000);
        int batchSize = (int) positive(top, "batch_size", Math.min(blockSize, 256), 1_000_000);

        List<Node> samplerNodes = top.get("samplers").nonEmptyList();
        List<Family.Part> samplers = new ArrayList<>();
        for (Node s : samplerNodes) {
            String sName = s.get("name").text();
            try {
                samplers.add(family.sampler(sName, s.options(Set.of("name", "label", "grids", "vs", "nfe")),
                        model.mixture()));
            } catch (IllegalArgumentException e) {
                throw s.error(e.getMessage());
            }
        }
        List<Node> gridNodes = top.get("grids").nonEmptyList();
        List<Family.Part> grids = new ArrayList<>();
        for (Node g : gridNodes) {
            try {
                grids.add(family.grid(g.get("name").text(), g.options(Set.of("name", "label", "vs"))));
            } catch (IllegalArgumentException e) {
                throw g.error(e.getMessage());
            }
        }
        List<String> samplerLabels = labels(samplerNodes, samplers.stream().map(Family.Part::description).toList(),
                "sampler");
        List<String> gridLabels = labels(gridNodes, grids.stream().map(Family.Part::description).toList(), "grid");
        ClassDraw labels = parseLabels(top, model, family);
        List<Double> guidance = parseGuidance(top, model);
        ModelSpec guide = top.has("guide") ? parseGuide(top, model, store) : null;
        LinkedHashSet<Integer> nfes = nfeList(top.get("nfe"));
        // Each sampler's budgets: its own 'nfe: [...]', else the sweep's.
        List<LinkedHashSet<Integer>> samplerNfes = new ArrayList<>();
        for (Node s : samplerNodes) {
            samplerNfes.add(s.has("nfe") ? nfeList(s.get("nfe")) : nfes);
        }

        // Which grids each sampler runs on: its own 'grids: [label, ...]', else all of them.
        List<List<Integer>> samplerGrids = new ArrayList<>();
        for (Node s : samplerNodes) {
            List<Integer> mine = new ArrayList<>();
            if (s.has("grids")) {
                for (Node g : s.get("grids").nonEmptyList()) {
                    int gi = indexOfLabel(gridLabels, g, "grid");
                    if (mine.contains(gi)) {
                        throw g.error("'" + g.text() + "' is listed twice");
                    }
                    mine.add(gi);
                }
            } else {
                for (int gi = 0; gi < grids.size(); gi++) {
                    mine.add(gi);
                }
            }
            samplerGrids.add(mine);
        }

        List<SweepPoint> points = new ArrayList<>();
        Map<String, SweepPoint> byCell = new HashMap<>();
        // A guided sweep multiplies the configs by its scales, as NFE does; an unguided one has the one scale null.
        List<Double> scales = guidance == null ? java.util.Collections.singletonList(null) : guidance;
        for (int si = 0; si < samplers.size(); si++) {
            for (int gi : samplerGrids.get(si)) {
                for (int wi = 0; wi < scales.size(); wi++) {
                    Double w = scales.get(wi);
                    for (int nfe : samplerNfes.get(si)) {
                        SweepPoint p;
                        try {
                            p = SweepPoint.of(family.cell(samplers.get(si), grids.get(gi), nfe), w);
                        } catch (IllegalArgumentException e) {
                            throw samplerNodes.get(si).error(e.getMessage());
                        }
                        p = p.withLabel(samplerLabels.get(si) + (w == null ? "" : " guidance=" + SweepPoint.scale(w))
                                + " | " + gridLabels.get(gi));
                        points.add(p);
                        byCell.put(si + "/" + gi + "/" + nfe + "/" + wi, p);
                    }
                }
            }
        }
        List<Comparison> comparisons = new ArrayList<>();
        for (int si = 0; si < samplers.size(); si++) {
            if (!samplerNodes.get(si).has("vs")) {
                continue;
            }
            Node vs = samplerNodes.get(si).get("vs");
            int bi = indexOfLabel(samplerLabels, vs, "sampler");
            if (bi == si) {
                throw vs.error("'" + vs.text() + "' is this sampler itself, expected another sampler's label");
            }
            boolean any = false;
            for (int gi : samplerGrids.get(si)) {
                if (!samplerGrids.get(bi).contains(gi)) {
                    continue;
                }
                for (int wi = 0; wi < scales.size(); wi++) {
                    String at = scales.get(wi) == null ? "" : " guidance=" + SweepPoint.scale(scales.get(wi));
                    for (int nfe : samplerNfes.get(si)) {
                        if (!samplerNfes.get(bi).contains(nfe)) {
                            continue;
                        }
                        any = true;
                        comparisons.add(new Comparison(samplerLabels.get(si) + " vs " + samplerLabels.get(bi) + " on "
                                + gridLabels.get(gi) + at, nfe, byCell.get(si + "/" + gi + "/" + nfe + "/" + wi).id(),
                                byCell.get(bi + "/" + gi + "/" + nfe + "/" + wi).id()));
                    }
                }
            }
            if (!any) {
                throw vs.error("'" + vs.text() + "' runs on none of this sampler's grids and budgets, expected a "
                        + "sampler that shares a grid and an NFE with it");
            }
        }
        for (int gi = 0; gi < grids.size(); gi++) {
            if (!gridNodes.get(gi).has("vs")) {
                continue;
            }
            Node vs = gridNodes.get(gi).get("vs");
            int bi = indexOfLabel(gridLabels, vs, "grid");
            if (bi == gi) {
                throw vs.error("'" + vs.text() + "' is this grid itself, expected another grid's label");
            }
            boolean any = false;
            for (int si = 0; si < samplers.size(); si++) {
                if (!samplerGrids.get(si).contains(gi) || !samplerGrids.get(si).contains(bi)) {
                    continue;
                }
                any = true;
                for (int wi = 0; wi < scales.size(); wi++) {
                    String at = scales.get(wi) == null ? "" : " guidance=" + SweepPoint.scale(scales.get(wi));
                    for (int nfe : samplerNfes.get(si)) {
                        comparisons.add(new Comparison(samplerLabels.get(si) + at + " on " + gridLabels.get(gi)
                                + " vs " + gridLabels.get(bi), nfe, byCell.get(si + "/" + gi + "/" + nfe + "/" + wi).id(),
                                byCell.get(si + "/" + bi + "/" + nfe + "/" + wi).id()));
                    }
                }
            }
            if (!any) {
                throw vs.error("'" + vs.text() + "': no sampler runs on both grids, expected a grid that shares a "
                        + "sampler with this one");
            }
        }
        long perConfig = (seedCount + blockSize - 1) / blockSize;
        if (perConfig * points.size() > MAX_BLOCKS) {
            throw top.error(points.size() + " configs × " + seedCount + " seeds in blocks of " + blockSize + " make "
                    + perConfig * points.size() + " seed blocks, expected at most " + MAX_BLOCKS
                    + " (raise block_size, or split the sweep)");
        }
        Set<String> ids = new java.util.HashSet<>();
        for (SweepPoint p : points) {
            if (!ids.add(p.id())) {
                throw top.error("two configs share the id " + p.id() + " (a sampler or grid is listed twice)");
            }
        }

        List<DetectorSpec> detectors = new ArrayList<>();
        if (top.has("detectors")) {
            for (String single : List.of("detector", "reference", "reference_features")) {
                if (top.has(single)) {
                    throw top.get(single).error("given beside detectors:, expected each detector of the list to "
                            + "name its own " + (single.equals("detector") ? "network" : single));
                }
            }
            if (model.imageShape() == null) {
                throw top.get("detectors").error("detectors need an image model, found model type " + model.type());
            }
            Set<String> names = new java.util.HashSet<>();
            for (Node d : top.get("detectors").nonEmptyList()) {
                DetectorSpec spec = DetectorSpec.parse(d, store, detectors.isEmpty(), top.has("metrics"));
                if (!names.add(spec.name())) {
                    throw d.get("name").error("'" + spec.name() + "' names two detectors, expected unique names");
                }
                detectors.add(spec);
            }
        }
        NetSpec detector = top.has("detector") ? NetSpec.detector(top.get("detector"), store)
                : detectors.isEmpty() ? null : detectors.get(0).net();
        if (detector != null && model.imageShape() == null) {
            throw top.get("detector").error("a detector needs an image model, found model type " + model.type());
        }
        String reference = detectors.isEmpty() ? top.text("reference", model.analytic() ? "exact" : null)
                : detectors.get(0).reference();
        if (reference == null) {
            throw top.error("reference: missing, expected a .npz file of reference statistics (ref-stats, "
                    + "pytorch-fid or EDM)");
        }
        if (reference.equals("exact") && (!model.analytic() || detector != null)) {
            throw top.get("reference").error("'exact' needs an analytic model without a detector, expected a .npz "
                    + "file of reference statistics");
        }
        if (!reference.equals("exact") && !reference.endsWith(".npz")) {
            throw top.get("reference").error("'" + reference + "', expected 'exact' or a .npz file");
        }
        if (!reference.equals("exact") && detectors.isEmpty()) {
            reference = qualify(store, reference, top.get("reference"));
        }
        long gridImages = top.integer("grid_images", model.imageShape() == null ? 0 : 64);
        if (gridImages < 0 || gridImages > 1024) {
            throw top.get("grid_images").error(gridImages + ", expected 0 to 1024");
        }
        String features = detectors.isEmpty() ? null : detectors.get(0).referenceFeatures();
        if (top.has("reference_features")) {
            features = top.get("reference_features").text();
            if (!features.endsWith(".parquet")) {
                throw top.get("reference_features").error("'" + features + "', expected the .features.parquet of "
                        + "'ref-stats --keep'");
            }
            features = qualify(store, features, top.get("reference_features"));
        }
        MetricsSpec metrics = null;
        if (top.has("metrics")) {
            metrics = MetricsSpec.parse(top.get("metrics"), features);
            if (metrics.inceptionScore() && detector == null) {
                throw top.get("metrics").get("inception_score").error("given without a detector, expected a "
                        + "detector: key whose network gives each sample's class probabilities (a model without a "
                        + "detector has no classes)");
            }
            if (metrics.inceptionScore() && !detectors.isEmpty()) {
                throw top.get("metrics").get("inception_score").error("given with a detectors: list, expected a "
                        + "single detector: key (the Inception Score is computed for one detector's class "
                        + "probabilities; with several detectors it is not supported yet)");
            }
            if (features == null && !reference.equals("exact")) {
                throw top.get("metrics").error("no reference_features, expected the real features "
                        + "('ref-stats --keep N' writes X.features.parquet) or reference: exact for an analytic model");
            }
        } else if (features != null) {
            throw top.get("reference_features").error("given without metrics, expected a metrics: key that uses it");
        }
        Export export = top.has("export") ? Export.parse(top.get("export"), model, points, samplerLabels) : null;
        return new SweepConfig(name, output, model, family, seedStart, seedCount, blockSize, batchSize,
                List.copyOf(points), reference, detector, (int) gridImages, List.copyOf(comparisons), metrics, export,
                List.copyOf(detectors), labels, guide);
    }

    /**
     * {@code labels:} how each seed's class is drawn: {@code uniform} (over the model's K classes; the default for a
     * class-conditional model), a class number (every seed), a list of classes (each seed draws one of them,
     * uniformly), or {@code {cycle: [c0, c1, ...]}} (seed s takes entry s mod n: a label per seed, balanced classes).
     * Refused for an unconditional model and outside the EDM family.
     */
    private static ClassDraw parseLabels(Node top, ModelSpec model, Family family) {
        int k = model.classes();
        if (!top.has("labels")) {
            if (k > 0 && !(family instanceof org.diffsweep.family.EdmFamily)) {
                throw top.get("model").error("a class-conditional model, expected a process of the EDM family");
            }
            return k > 0 ? ClassDraw.uniform(k) : null;
        }
        Node n = top.get("labels");
        if (k == 0) {
            throw n.error("model " + model.id() + " is unconditional, expected a class-conditional model "
                    + "(model.labels for a network, classes for a gmm)");
        }
        if (!(family instanceof org.diffsweep.family.EdmFamily)) {
            throw n.error("class labels need a process of the EDM family, found " + family.process());
        }
        ClassDraw draw;
        if (n.json().isTextual()) {
            if (!n.text().equals("uniform")) {
                throw n.error("'" + n.text() + "', expected uniform, a class number, a list of classes or {cycle: "
                        + "[classes]}");
            }
            draw = ClassDraw.uniform(k);
        } else if (n.json().isArray()) {
            draw = new ClassDraw(classList(n, k));
        } else if (n.json().isObject()) {
            n.allowOnly(Set.of("cycle"));
            draw = ClassDraw.cycle(classList(n.get("cycle"), k));
        } else {
            draw = new ClassDraw(new int[] {classOf(n, k)});
        }
        return draw;
    }

    private static int[] classList(Node n, int k) {
        List<Node> items = n.nonEmptyList();
        int[] classes = new int[items.size()];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = classOf(items.get(i), k);
        }
        return classes;
    }

    private static int classOf(Node n, int k) {
        long c = n.integer();
        if (c < 0 || c >= k) {
            throw n.error(c + ", expected a class from 0 to " + (k - 1) + " (the model's " + k + " classes)");
        }
        return (int) c;
    }

    /**
     * {@code guidance: [w, ...]}: the guidance scales, each a config axis like NFE; each finite and ≥ 0, none twice.
     * A scale needs a class-conditional model with a null label, or a {@code guide} network.
     */
    private static List<Double> parseGuidance(Node top, ModelSpec model) {
        if (!top.has("guidance")) {
            if (top.has("guide")) {
                throw top.get("guide").error("given without guidance, expected guidance: [scales] that uses it");
            }
            return null;
        }
        Node g = top.get("guidance");
        List<Double> out = new ArrayList<>();
        for (Node n : g.nonEmptyList()) {
            double w = n.number();
            if (!(w >= 0 && w <= 1000)) {
                throw n.error(w + ", expected a guidance scale from 0 to 1000");
            }
            if (out.contains(w)) {
                throw n.error(SweepPoint.scale(w) + " is listed twice");
            }
            out.add(w);
        }
        if (!top.has("guide")) {
            if (model.classes() == 0) {
                throw g.error("a guidance scale on model " + model.id() + ", which is unconditional, expected a "
                        + "class-conditional model (model.labels, gmm classes) or a guide network (guide:)");
            }
            if (!model.hasNullLabel()) {
                throw g.error("model " + model.id() + " declares no null label, expected model.labels.null_label "
                        + "(classifier-free guidance) or a guide network (guide:)");
            }
        }
        return out;
    }

    /**
     * {@code guide:} the second network of guidance, a djl model of the main model's shape and output: without
     * labels the unconditional branch (classifier-free guidance by a second network), with labels (the main model's
     * count) a weaker conditional model given the same labels (autoguidance).
     */
    private static ModelSpec parseGuide(Node top, ModelSpec model, Store store) {
        Node n = top.get("guide");
        ModelSpec guide = ModelSpec.parse(n, store);
        if (guide.net() == null || model.net() == null) {
            throw n.error("a guide of type " + guide.type() + " for a model of type " + model.type() + ", expected "
                    + "two djl networks (a gmm's unconditional branch is exact: its null label)");
        }
        if (!java.util.Arrays.equals(guide.net().shape(), model.net().shape())) {
            throw n.get("shape").error(java.util.Arrays.toString(guide.net().shape()) + ", expected the model's shape "
                    + java.util.Arrays.toString(model.net().shape()));
        }
        if (!guide.net().signature().equals(model.net().signature())) {
            throw n.error("output " + guide.net().signature() + ", expected the model's (" + model.net().signature()
                    + ")");
        }
        if (guide.classes() > 0 && guide.classes() != model.classes()) {
            throw n.get("labels").error(guide.classes() + " classes, expected the model's "
                    + (model.classes() == 0 ? "(none: an unconditional model takes an unconditional guide)"
                    : Integer.toString(model.classes())));
        }
        return guide;
    }

    /** A path the config names, fully qualified; a path that cannot be is refused at its key. */
    static String qualify(Store store, String path, Node at) {
        try {
            return store.qualify(path);
        } catch (IllegalArgumentException e) {
            throw at.error(e.getMessage());
        }
    }

    /** A list of NFE budgets: each 1 to 100,000, none twice. */
    private static LinkedHashSet<Integer> nfeList(Node node) {
        LinkedHashSet<Integer> nfes = new LinkedHashSet<>();
        for (Node n : node.nonEmptyList()) {
            long v = n.integer();
            if (v < 1 || v > 100_000) {
                throw n.error(v + ", expected an NFE between 1 and 100000");
            }
            if (!nfes.add((int) v)) {
                throw n.error(v + " is listed twice");
            }
        }
        return nfes;
    }

    /** Each entry's {@code label}, else its description; labels must be unique and plain. */
    private static List<String> labels(List<Node> nodes, List<String> descriptions, String what) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            String label = descriptions.get(i);
            if (n.has("label")) {
                label = n.get("label").text();
                if (!label.matches("[A-Za-z0-9._+-]+")) {
                    throw n.get("label").error("'" + label + "', expected letters, digits, '.', '_', '+' or '-'");
                }
                if (out.contains(label)) {
                    throw n.get("label").error("'" + label + "' labels two " + what + "s, expected unique labels");
                }
            }
            out.add(label);
        }
        return out;
    }

    private static int indexOfLabel(List<String> labels, Node ref, String what) {
        String label = ref.text();
        int i = labels.indexOf(label);
        if (i < 0) {
            throw ref.error("unknown " + what + " label '" + label + "', expected one of: " + String.join(", ", labels));
        }
        return i;
    }

    private static long positive(Node top, String key, long fallback, long max) {
        long v = top.integer(key, fallback);
        if (v < 1 || v > max) {
            throw top.get(key).error(v + ", expected an integer between 1 and " + max);
        }
        return v;
    }

    private static Family parseFamily(Node node) {
        if (node == null) {
            return Families.defaultFamily();
        }
        String name = node.get("name").text();
        try {
            return Families.of(name, node.options(Set.of("name")));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("'") ? node.get("name").error(e.getMessage()) : node.error(e.getMessage());
        }
    }

    /** Refuses a network whose declared output the family cannot use (an EDM denoiser under a PSLD process). */
    private static void requireFits(Family family, String process, ModelSpec model, Node top) {
        String refusal = model.net() == null ? null : family.modelRefusal(model.net().signature(), model.net().time());
        if (refusal != null) {
            throw top.get("model").error(refusal + " (" + model.net().path() + ")");
        }
        if (model.net() != null && !family.outputs().contains(model.net().signature())) {
            throw top.get("model").error("output '" + model.net().signature() + "' (" + model.net().path()
                    + ") does not fit process " + process + ", expected a model with output: "
                    + String.join(" or ", family.outputs()));
        }
    }
}
