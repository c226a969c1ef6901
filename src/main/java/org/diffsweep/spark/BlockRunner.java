package org.diffsweep.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.family.Cell;
import org.diffsweep.family.Conditioning;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.features.Detector;
import org.diffsweep.features.Images;

/**
 * Runs seed blocks inside a Spark task: samples every seed of a block with the block's config, and commits
 * the block's features file once (written under a name of its own in {@code _tmp}, then renamed into place in one
 * step: on the local disk without a {@code .crc} sidecar, its Parquet pages carrying their own CRCs). A block whose file
 * already exists is skipped, so a rerun after a crash recomputes only what is missing and never duplicates
 * rows. A block whose samples the config exports writes them before its features ({@link SampleExport}).
 */
public final class BlockRunner implements FlatMapFunction<Iterator<SeedBlock>, BlockRunner.Result> {

    private static final long serialVersionUID = 1L;

    /** What happened to a block. */
    public record Result(String configId, long seedStart, int seeds, boolean computed, double seconds)
            implements java.io.Serializable {
    }

    private final SweepConfig config;
    private final SweepLayout layout;
    private final HadoopConf hadoop;
    private final String codeVersion;

    public BlockRunner(SweepConfig config, SweepLayout layout, HadoopConf hadoop, String codeVersion) {
        this.config = config;
        this.layout = layout;
        this.hadoop = hadoop;
        this.codeVersion = codeVersion;
    }

    @Override
    public Iterator<Result> call(Iterator<SeedBlock> blocks) throws IOException {
        List<Result> results = new ArrayList<>();
        while (blocks.hasNext()) {
            results.add(run(blocks.next()));
        }
        return results.iterator();
    }

    /**
     * Runs (or skips) one block. A failure names the block's file with its whole URI ({@code s3a://bucket/...}): the
     * file system's own message may name only a key.
     */
    public Result run(SeedBlock block) throws IOException {
        Path target = layout.block(block.configId(), block.seedStart(), block.seedEnd());
        try {
            return runBlock(block, target);
        } catch (IOException e) {
            throw new BlockFailure("block " + target + ": " + firstLine(e), e);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IOException io) {
                    throw new BlockFailure("block " + target + ": " + firstLine(io), e);
                }
            }
            throw e;
        }
    }

    private Result runBlock(SeedBlock block, Path target) throws IOException {
        long t0 = System.nanoTime();
        FileSystem fs = target.getFileSystem(hadoop.get());
        // Features committed: skip the block, unless its samples are to be exported and are not yet (samples
        // are not stored, so an export added to a finished sweep samples its blocks again).
        boolean exportOnly = fs.exists(target);
        if (exportOnly && SampleExport.done(fs, layout, config.export(), block)) {
            return new Result(block.configId(), block.seedStart(), block.size(), false, 0);
        }
        SweepPoint point = point(block.configId());
        List<FeatureParquet.Row> rows;
        try {
            rows = sample(point, block, fs);
        } catch (RuntimeException e) {
            throw new IllegalStateException("sweep " + config.name() + ", config " + point.id() + ", seeds "
                    + block.seedStart() + "–" + (block.seedEnd() - 1) + ": " + e.getMessage(), e);
        }
        if (exportOnly) {
            return new Result(block.configId(), block.seedStart(), block.size(), true, (System.nanoTime() - t0) / 1e9);
        }

        // A name no other task attempt uses, on the file system without a checksum sidecar (the local disk's raw
        // one): the block is one file, and one rename commits it whole, its page CRCs inside it.
        FileSystem raw = unchecked(fs);
        Path tmp = new Path(layout.tmp(), block.configId() + "." + block.seedStart() + "." + UUID.randomUUID()
                + ".parquet");
        try {
            FeatureParquet.write(raw, tmp, hadoop.get(), point.id(), point.nfe(), point.sampler(), point.grid(), rows,
                    metadata(point), moreColumns(config));
            fs.mkdirs(target.getParent());
            if (fs != raw) {
                // A sidecar of an earlier block at this name (removed without it) would not match this block.
                fs.delete(((org.apache.hadoop.fs.ChecksumFileSystem) fs).getChecksumFile(target), false);
            }
            if (!commit(raw, tmp, target)) {
                // Another attempt of the same block committed first: its rows are identical, keep them.
                raw.delete(tmp, false);
                if (!fs.exists(target)) {
                    throw new IOException("could not commit block " + target + " (rename from " + tmp + " failed)");
                }
            }
        } catch (IOException | RuntimeException e) {
            try {
                raw.delete(tmp, false);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new Result(block.configId(), block.seedStart(), block.size(), true, (System.nanoTime() - t0) / 1e9);
    }

    /** The file system without client-side checksum files: the raw local one for the local disk, else itself. */
    static FileSystem unchecked(FileSystem fs) {
        return fs instanceof org.apache.hadoop.fs.ChecksumFileSystem c ? c.getRawFileSystem() : fs;
    }

    /** A block's failure, naming the block's file. */
    public static final class BlockFailure extends IOException {
        private static final long serialVersionUID = 1L;

        BlockFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static String firstLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return e.getClass().getSimpleName() + ": " + m.lines().findFirst().orElse(m);
    }

    /**
     * Renames a written file into place; false when the place is already taken. HDFS says so by returning false,
     * S3A by throwing {@link org.apache.hadoop.fs.FileAlreadyExistsException} (which would fail the task of a
     * block another attempt has just committed).
     */
    static boolean commit(FileSystem fs, Path tmp, Path target) throws IOException {
        try {
            return fs.rename(tmp, target);
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    /**
     * The feature columns after {@code features}: those of a {@code detectors:} list's further detectors, then, where
     * the metrics ask for the Inception Score, the detector's class probabilities ({@link ClassProbabilities#COLUMN}).
     */
    static List<String> moreColumns(SweepConfig config) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i < config.detectors().size(); i++) {
            out.add(config.detectors().get(i).column());
        }
        if (inceptionScore(config)) {
            out.add(ClassProbabilities.COLUMN);
        }
        return out;
    }

    /** Whether each sample's class probabilities are written, for the metrics stage's Inception Score. */
    static boolean inceptionScore(SweepConfig config) {
        return config.metrics() != null && config.metrics().inceptionScore() && config.detector() != null;
    }

    /**
     * Samples the seeds of a block in batches of the config's batch size, and turns them into features (the
     * detector's, or the samples themselves). The block holding the sweep's first seeds also writes the config's
     * PNG grid of samples.
     */
    List<FeatureParquet.Row> sample(SweepPoint point, SeedBlock block, FileSystem fs) throws IOException {
        SampleModel model = ModelCache.model(config.model(), config.family(), hadoop);
        SampleModel guide = config.guide() == null ? null : ModelCache.model(config.guide(), config.family(), hadoop);
        Detector detector = config.detector() == null ? null : ModelCache.detector(config.detector(), hadoop);
        boolean classProbabilities = inceptionScore(config) && config.model().imageShape() != null;
        // Further detectors see the same uint8 images of the same samples: the sample is made once.
        List<Detector> more = new ArrayList<>();
        for (int i = 1; i < config.detectors().size(); i++) {
            more.add(ModelCache.detector(config.detectors().get(i).net(), hadoop));
        }
        int[] shape = config.model().imageShape();
        int gridCount = block.seedStart() == config.seedStart() ? Math.min(config.gridImages(), block.size()) : 0;
        double[] gridSamples = shape == null ? null : new double[gridCount * model.dim()];
        int dim = model.dim();
        boolean export = config.export() != null && config.export().exports(point.id());
        byte[] pixels = export ? new byte[block.size() * dim] : null;
        List<FeatureParquet.Row> rows = new ArrayList<>(block.size());
        for (long s = block.seedStart(); s < block.seedEnd(); s += config.batchSize()) {
            int batch = (int) Math.min(config.batchSize(), block.seedEnd() - s);
            long[] seeds = new long[batch];
            for (int r = 0; r < batch; r++) {
                seeds[r] = s + r;
            }
            int[] labels = config.labelsOf(seeds);
            Cell.Sampled sampled = point.cell().sample(model, seeds,
                    new Conditioning(labels, point.guidance(), guide));
            double[] out = sampled.samples();
            if (sampled.calls() != point.nfe()) {
                throw new IllegalStateException(point.sampler() + " made " + sampled.calls()
                        + " model calls, declared " + point.nfe() + " for " + point.steps() + " steps");
            }
            if (sampled.networkCalls() != point.networkCalls()) {
                throw new IllegalStateException(point.sampler() + " made " + sampled.networkCalls()
                        + " network calls per sample, declared " + point.networkCalls());
            }
            for (int r = 0; r < batch; r++) {
                for (int j = 0; j < dim; j++) {
                    double v = out[r * dim + j];
                    if (!Double.isFinite(v)) {
                        throw new IllegalStateException("model " + model.id() + ", seed " + seeds[r] + ": sample value "
                                + v + ", expected finite values");
                    }
                }
            }
            long offset = s - block.seedStart();
            if (gridSamples != null && offset < gridCount) {
                int n = (int) Math.min(batch, gridCount - offset);
                System.arraycopy(out, 0, gridSamples, (int) offset * dim, n * dim);
            }
            if (export) {
                byte[] p = SampleExport.uint8Nhwc(out, batch, shape);
                System.arraycopy(p, 0, pixels, (int) offset * dim, p.length);
            }
            // The uint8 images are made once; every detector (and the class probabilities) sees the same ones.
            byte[] images = detector == null ? null : Images.toRgbUint8(out, batch, shape[0], shape[1], shape[2]);
            float[] features = features(out, images, batch, detector, shape);
            float[][] moreFeatures = new float[more.size()][];
            float[] probabilities = null;
            if (!more.isEmpty() || classProbabilities) {
                for (int d = 0; d < more.size(); d++) {
                    moreFeatures[d] = more.get(d).features(images, batch, shape[1], shape[2]);
                }
                if (classProbabilities) {
                    // The softmax without the output layer's bias, as every Inception Score variant computes it.
                    probabilities = detector.probabilities(images, batch, shape[1], shape[2], true);
                }
            }
            for (int r = 0; r < batch; r++) {
                float[] f = row(features, r, batch, detector, seeds[r]);
                float[][] m = new float[more.size() + (classProbabilities ? 1 : 0)][];
                for (int d = 0; d < more.size(); d++) {
                    m[d] = row(moreFeatures[d], r, batch, more.get(d), seeds[r]);
                }
                if (classProbabilities) {
                    m[more.size()] = row(probabilities, r, batch, detector, seeds[r]);
                }
                rows.add(new FeatureParquet.Row(seeds[r], f, m, labels == null ? FeatureParquet.NO_LABEL : labels[r]));
            }
        }
        if (gridCount > 0 && gridSamples != null) {
            SampleGrid.write(fs, layout.grid(point.id()), gridSamples, gridCount, shape);
        }
        if (export) {
            SampleExport.write(fs, layout, config.export().format(), block, pixels, shape);
        }
        return rows;
    }

    /** Row r of a batch's features, checked finite. */
    private static float[] row(float[] features, int r, int batch, Detector detector, long seed) {
        int fdim = features.length / batch;
        float[] f = java.util.Arrays.copyOfRange(features, r * fdim, (r + 1) * fdim);
        for (float v : f) {
            if (!Float.isFinite(v)) {
                throw new IllegalStateException("detector " + detector.id() + ", seed " + seed
                        + ": feature value " + v + ", expected finite values");
            }
        }
        return f;
    }

    /** The detector's features of uint8 images of the samples (docs/conventions.md), or the samples themselves. */
    private static float[] features(double[] samples, byte[] images, int batch, Detector detector, int[] shape) {
        if (detector == null) {
            float[] f = new float[samples.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) samples[i];
            }
            return f;
        }
        return detector.features(images, batch, shape[1], shape[2]);
    }

    private SweepPoint point(String id) {
        for (SweepPoint p : config.points()) {
            if (p.id().equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no config " + id + " in sweep " + config.name());
    }

    private Map<String, String> metadata(SweepPoint point) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("diffsweep.sweep", config.name());
        m.put("diffsweep.model", config.model().id());
        m.put("diffsweep.model_spec", config.model().json());
        m.put("diffsweep.detector", config.detector() == null ? "none (features are the samples)"
                : config.detector().id());
        if (config.multiDetector()) {
            List<String> named = new ArrayList<>();
            for (org.diffsweep.config.DetectorSpec d : config.detectors()) {
                named.add(d.column() + "=" + d.name() + ":" + d.net().id());
            }
            m.put("diffsweep.detectors", String.join(", ", named));
        }
        m.put("diffsweep.process", config.family().process());
        m.put("diffsweep.sampler", point.sampler());
        m.put("diffsweep.grid", point.grid());
        m.put("diffsweep.nfe_requested", Integer.toString(point.nfeRequested()));
        m.put("diffsweep.steps", Integer.toString(point.steps()));
        if (config.labels() != null) {
            m.put("diffsweep.labels", config.labels().toString());
        }
        if (point.guidance() != null) {
            m.put("diffsweep.guidance", SweepPoint.scale(point.guidance()));
            m.put("diffsweep.guide", config.guide() == null ? "the model's null label" : config.guide().id());
            m.put("diffsweep.network_calls", Integer.toString(point.networkCalls()));
        }
        m.put("diffsweep." + point.cell().levelsName(), java.util.Arrays.toString(point.levels()));
        m.put("diffsweep.code_version", codeVersion);
        return m;
    }
}
