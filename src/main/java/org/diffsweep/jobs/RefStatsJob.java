package org.diffsweep.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.NetSpec;
import org.diffsweep.data.ImageDataset;
import org.diffsweep.data.ImageDatasets;
import org.diffsweep.features.Detector;
import org.diffsweep.features.Images;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.Manifest;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.Progress;

/**
 * The {@code ref-stats} job: a data set's images → detector features → float64 sums (n, Σf, Σffᵀ), reduced with
 * a treeAggregate; writes the statistics as {@code .npz} ({@code mu}, {@code sigma}, {@code n}: readable by
 * pytorch-fid and EDM), as Parquet (the raw sums, mergeable), and their metadata as JSON, to any Hadoop path.
 */
public final class RefStatsJob {

    private RefStatsJob() {
    }

    /** Images per Spark task. */
    static final int CHUNK = 2048;

    /**
     * Measures the statistics and writes them with the sweep's commit rules (see {@link OutputFiles}): the sums
     * to {@code X.parquet._tmp}, renamed to {@code X.parquet}; then {@code X.json}, and {@code X.npz} last, each
     * under a temporary name and renamed. So {@code X.npz}, which the fid stage reads, exists only once everything
     * is written.
     *
     * <p>A run whose {@code .npz} is missing reuses committed sums of the same data, image count and detector (an
     * earlier run stopped after them). A run whose {@code .npz} exists measures again and replaces it: the old
     * {@code .npz} and {@code .json} are removed before their sums are replaced.
     *
     * @param detector the feature network (hash resolved here), or null for the pixels themselves in [−1, 1]
     * @param limit    use only the first {@code limit} images (0: all)
     * @param out      the {@code .npz} to write, a Hadoop path (qualified here: a path without a scheme is on the
     *                 default file system); {@code <out without .npz>.parquet} and {@code .json} beside it
     */
    public static Gaussian run(SparkSession spark, String data, String format, NetSpec detector, long limit,
                               String out) throws IOException {
        return run(spark, data, format, detector, limit, out, 0);
    }

    /** The seed of the kept sample's choice of images. */
    static final long KEEP_SEED = 0;

    /**
     * As {@link #run(SparkSession, String, String, NetSpec, long, String)}, also keeping the features of a seeded
     * sample of {@code keep} images (all of them if {@code keep} ≥ the count) as {@code X.features.parquet} (rows:
     * {@code index} long, {@code features} array&lt;float&gt;), the real set of KID and precision/recall. Each task
     * writes its chunk's kept rows itself, from the features it sums (the detector runs once), into
     * {@code X.features.parquet._tmp}, which is renamed into place before the sums; {@code X.json} records
     * {@code kept}.
     *
     * @param keep how many images' features to keep (0: none)
     */
    public static Gaussian run(SparkSession spark, String data, String format, NetSpec detector, long limit,
                               String out, long keep) throws IOException {
        java.util.List<NetSpec> dets = new ArrayList<>();
        dets.add(detector);
        return runAll(spark, data, format, dets, limit, List.of(out), keep).get(0);
    }

    /**
     * As {@link #run(SparkSession, String, String, NetSpec, long, String, long)} for several detectors in one pass
     * over the data: each chunk of images is read once and every detector's features of it are summed (and kept);
     * {@code outs.get(i)} receives detector i's files. A detector whose sums are already committed (an earlier run
     * stopped before its {@code .npz}) is not run again.
     *
     * @param detectors the feature networks (null: the pixels), one per output
     */
    public static List<Gaussian> runAll(SparkSession spark, String data, String format, List<NetSpec> detectors,
                                        long limit, List<String> outs, long keep) throws IOException {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        int k = detectors.size();
        if (outs.size() != k) {
            throw new ConfigException("ref-stats: " + k + " detectors and " + outs.size() + " --out files, expected "
                    + "one --out per detector");
        }
        List<String> out = new ArrayList<>();
        List<FileSystem> fss = new ArrayList<>();
        for (String o : outs) {
            String q = OutputFiles.qualify(o, conf);
            if (out.contains(q)) {
                throw new ConfigException("ref-stats --out " + q + " is given twice, expected one file per detector");
            }
            fss.add(checkOutput(conf, q));
            out.add(q);
        }
        if (!ModelFiles.exists(data, conf)) {
            throw new ConfigException("data set " + data + " not found");
        }
        ImageDataset dataset;
        long count;
        int[] shape;
        try {
            dataset = ImageDatasets.open(data, format, conf);
            count = dataset.count();
            shape = dataset.shape();
        } catch (IllegalArgumentException | IOException e) {
            String m = org.diffsweep.family.Family.rootLine(e);
            throw new ConfigException(m.contains(new Path(data).getName()) ? m : "data set " + data + ": " + m);
        }
        if (limit > 0) {
            count = Math.min(count, limit);
        }
        List<NetSpec> dets = new ArrayList<>();
        for (NetSpec detector : detectors) {
            NetSpec det = detector == null ? null : ModelFiles.resolveDetector(detector, conf);
            if (det != null && count > 0) {
                probeDetector(dataset, det, new HadoopConf(conf), (int) Math.min(2, count), shape);
            }
            dets.add(det);
        }
        List<long[]> chunks = new ArrayList<>();
        for (long s = 0; s < count; s += CHUNK) {
            chunks.add(new long[] {s, Math.min(count, s + CHUNK) - s});
        }
        int classes = classCount(dataset, count, dets);
        long kept = keep > 0 ? Math.min(keep, count) : 0;
        List<Map<String, String>> plans = new ArrayList<>();
        List<FeatureStats> stats = new ArrayList<>();
        List<Map<String, String>> metadata = new ArrayList<>();
        List<Integer> todo = new ArrayList<>();
        List<FeatureStats[]> perClass = new ArrayList<>(java.util.Collections.nCopies(k, null));
        for (int i = 0; i < k; i++) {
            NetSpec det = dets.get(i);
            System.out.printf("ref-stats: %s, %d images of %dx%dx%d, detector %s, %d tasks%n", dataset.describe(),
                    count, shape[0], shape[1], shape[2], det == null ? "none (pixels)" : det.id(), chunks.size());
            Map<String, String> plan = new LinkedHashMap<>();
            plan.put("data", dataset.describe());
            plan.put("images", Long.toString(count));
            plan.put("detector", det == null ? "none (pixels in [-1, 1])" : det.id());
            if (kept > 0) {
                plan.put("kept", Long.toString(kept));
                plan.put("kept_seed", Long.toString(KEEP_SEED));
            }
            if (classes > 0) {
                plan.put("classes", Integer.toString(classes));
            }
            plans.add(plan);
            FileSystem fs = fss.get(i);
            String o = out.get(i);
            Path sums = new Path(sibling(o, ".parquet"));
            Path keptDir = new Path(sibling(o, ".features.parquet"));
            OutputFiles.clearTemporary(fs, List.of(o, sibling(o, ".json")), List.of(sums, keptDir));
            // Committed sums hold no per-class sums: with classes the data are measured again.
            Committed committed = fs.exists(new Path(o)) || (kept > 0 && !fs.exists(new Path(keptDir, "_SUCCESS")))
                    || classes > 0 ? null : committedSums(spark, fs, sums, plan);
            if (committed != null) {
                System.out.printf("ref-stats: %s holds the sums of this data, image count and detector (an earlier "
                        + "run stopped before its .npz); using them%n", sums);
                stats.add(committed.stats());
                metadata.add(committed.metadata());
            } else {
                stats.add(null);
                metadata.add(null);
                todo.add(i);
            }
        }
        if (!todo.isEmpty()) {
            HadoopConf hadoop = new HadoopConf(conf);
            ImageDataset ds = dataset;
            // with classes, the sums are merged by key in a second stage of as many tasks as reduceByKey's partitions
            Progress progress = new Progress("ref-stats", chunks.size() + (classes > 0
                    ? Math.max(1, Math.min(chunks.size(), todo.size() * (1 + classes))) : 0));
            spark.sparkContext().addSparkListener(progress);
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            List<NetSpec> run = new ArrayList<>();
            List<String> keptTo = new ArrayList<>();
            List<Map<String, String>> keptMeta = new ArrayList<>();
            for (int i : todo) {
                run.add(dets.get(i));
                keptTo.add(kept > 0 ? OutputFiles.tmpDir(new Path(sibling(out.get(i), ".features.parquet")))
                        .toString() : null);
                keptMeta.add(new LinkedHashMap<>(plans.get(i)));
            }
            org.apache.spark.broadcast.Broadcast<int[]> chosen = kept > 0
                    ? jsc.broadcast(keptIndices(count, kept)) : null;
            FeatureStats[][] sums;
            boolean byClass = classes > 0;
            try {
                for (int d = 0; d < keptTo.size(); d++) {
                    if (keptTo.get(d) != null) {
                        fss.get(todo.get(d)).mkdirs(new Path(keptTo.get(d)));
                    }
                }
                org.apache.spark.api.java.JavaRDD<FeatureStats[][]> perChunk = jsc.parallelize(chunks, chunks.size())
                        .map(c -> {
                            byte[] images = ds.read(c[0], (int) c[1]);
                            int[] labels = byClass ? ds.labels(c[0], (int) c[1]) : null;
                            FeatureStats[][] each = new FeatureStats[run.size()][];
                            for (int d = 0; d < run.size(); d++) {
                                Chunk f = features(images, run.get(d), hadoop, (int) c[1], shape);
                                if (keptTo.get(d) != null) {
                                    writeKept(f, labels, chosen.value(), c[0], keptTo.get(d), hadoop,
                                            keptMeta.get(d));
                                }
                                each[d] = byClass ? withClasses(f, labels, classes) : new FeatureStats[] {f.stats()};
                            }
                            return each;
                        });
                sums = byClass ? reduceByKey(perChunk, run.size(), classes, chunks.size())
                        : perChunk.treeAggregate(null, RefStatsJob::mergeAll, RefStatsJob::mergeAll, 2);
            } catch (RuntimeException e) {
                for (int d = 0; d < keptTo.size(); d++) {
                    if (keptTo.get(d) != null) {
                        fss.get(todo.get(d)).delete(new Path(keptTo.get(d)), true);
                    }
                }
                throw e;
            } finally {
                spark.sparkContext().removeSparkListener(progress);
                if (chosen != null) {
                    chosen.destroy();
                }
            }
            for (int d = 0; d < todo.size(); d++) {
                int i = todo.get(d);
                FileSystem fs = fss.get(i);
                String o = out.get(i);
                Path keptDir = new Path(sibling(o, ".features.parquet"));
                Map<String, String> meta = new LinkedHashMap<>(plans.get(i));
                meta.put("code_version", CodeVersion.get());
                if (dets.get(i) != null) {
                    meta.put("detector_sha256", dets.get(i).sha256());
                }
                if (kept > 0) {
                    fs.create(new Path(keptTo.get(d), "_SUCCESS"), true).close();
                    OutputFiles.delete(fs, new Path(o));
                    OutputFiles.delete(fs, new Path(sibling(o, ".json")));
                    OutputFiles.commitDir(fs, new Path(keptTo.get(d)), keptDir);
                } else {
                    OutputFiles.delete(fs, keptDir); // kept by an earlier run, not from these sums
                }
                // no images: no sums (as a single detector's pass gives)
                FeatureStats s = sums == null ? null : sums[d][0];
                writeSums(spark, fs, o, s, meta);
                stats.set(i, s);
                if (byClass && sums != null) {
                    perClass.set(i, java.util.Arrays.copyOfRange(sums[d], 1, 1 + classes));
                }
                metadata.set(i, meta);
            }
        }
        List<Gaussian> result = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            FileSystem fs = fss.get(i);
            String o = out.get(i);
            Gaussian g = Gaussian.of(stats.get(i));
            Manifest.writeAtomically(fs, new Path(sibling(o, ".json")), Manifest.json(metadata.get(i)));
            NetSpec det = dets.get(i);
            Map<String, Npz.Array> arrays = withDetector(g, det);
            if (perClass.get(i) != null) {
                arrays.putAll(Npz.ofClasses(perClass.get(i), stats.get(i).dim()));
            }
            OutputFiles.write(fs, new Path(o), w -> Npz.write(w, arrays));
            System.out.printf("ref-stats: %d images, %d features, written to %s (%.1f s)%n", stats.get(i).count(),
                    stats.get(i).dim(), o, (System.nanoTime() - t0) / 1e9);
            result.add(g);
        }
        return result;
    }

    /**
     * The arrays of the {@code .npz}: {@code mu}, {@code sigma}, {@code n}, and {@code detector_sha256} (the
     * detector's SHA-256, or "none" for the pixels), which pytorch-fid, EDM and clean-fid ignore.
     */
    static Map<String, Npz.Array> withDetector(Gaussian g, NetSpec det) {
        Map<String, Npz.Array> arrays = new LinkedHashMap<>(Npz.of(g));
        arrays.put(Npz.DETECTOR_SHA256, Npz.Array.text(det == null ? "none" : det.sha256()));
        return arrays;
    }

    /** Merges two chunks' sums: per detector, the whole set's and (where there are classes) each class's. */
    private static FeatureStats[][] mergeAll(FeatureStats[][] a, FeatureStats[][] b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        FeatureStats[][] out = new FeatureStats[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new FeatureStats[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                out[i][j] = merge(a[i][j], b[i][j]);
            }
        }
        return out;
    }

    /**
     * Per-class sums are recorded when their covariances (K·D²·8 bytes) take at most this much: they ride the same
     * aggregate as the whole set's sums and are written into the {@code .npz}. Above it (ImageNet's 1000 classes of
     * 2048 features) they are left out with a note.
     */
    static final long MAX_CLASS_BYTES = 1L << 29;

    /**
     * K, the classes of the data set's labels (the largest label + 1, read once on the driver), when every detector's
     * per-class sums fit {@link #MAX_CLASS_BYTES}; 0 for a data set without labels or classes too many to record.
     */
    static int classCount(ImageDataset dataset, long count, List<NetSpec> dets) throws IOException {
        boolean labelled;
        try {
            labelled = count > 0 && dataset.hasLabels();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("data set " + dataset.describe() + ": " + org.diffsweep.family.Family.rootLine(e));
        }
        if (!labelled) {
            return 0;
        }
        int max = -1;
        for (long s = 0; s < count; s += 65536) {
            for (int l : dataset.labels(s, (int) Math.min(65536, count - s))) {
                max = Math.max(max, l);
            }
        }
        int classes = max + 1;
        for (NetSpec det : dets) {
            long dim = det == null ? (long) dataset.shape()[0] * dataset.shape()[1] * dataset.shape()[2] : det.dim();
            if (classes * dim * dim * 8 > MAX_CLASS_BYTES) {
                System.out.printf("ref-stats: %s has labels of %d classes, but their statistics at %d features "
                        + "would take %d MB (more than %d MB): per-class statistics are left out%n",
                        dataset.describe(), classes, dim, classes * dim * dim * 8 >> 20, MAX_CLASS_BYTES >> 20);
                return 0;
            }
        }
        System.out.printf("ref-stats: %s has labels of %d classes: per-class statistics too%n", dataset.describe(),
                classes);
        return classes;
    }

    /**
     * The per-chunk sums (per detector: the whole set's, then each class's) merged by key, (detector, class), so that
     * the driver receives each of the (K + 1)·detectors sums once: a treeAggregate would bring a few partial arrays
     * of all K + 1 back to it (more than Spark's default 1 GB of results at K = 10, D = 2048). Null without images.
     */
    private static FeatureStats[][] reduceByKey(org.apache.spark.api.java.JavaRDD<FeatureStats[][]> perChunk,
                                                int detectors, int classes, int chunks) {
        int keys = detectors * (1 + classes);
        Map<Integer, FeatureStats> merged = perChunk.flatMapToPair(each -> {
            List<scala.Tuple2<Integer, FeatureStats>> out = new ArrayList<>();
            for (int d = 0; d < each.length; d++) {
                for (int j = 0; j < each[d].length; j++) {
                    if (each[d][j] != null) {
                        out.add(new scala.Tuple2<>(d * (1 + classes) + j, each[d][j]));
                    }
                }
            }
            return out.iterator();
        }).reduceByKey(RefStatsJob::merge, Math.max(1, Math.min(chunks, keys))).collectAsMap();
        if (merged.isEmpty()) {
            return null;
        }
        FeatureStats[][] out = new FeatureStats[detectors][1 + classes];
        merged.forEach((k, v) -> out[k / (1 + classes)][k % (1 + classes)] = v);
        return out;
    }

    /** A chunk's sums, then each class's (null for a class the chunk does not hold): {1 + K} entries. */
    static FeatureStats[] withClasses(Chunk f, int[] labels, int classes) {
        int dim = f.dim();
        int n = labels.length;
        FeatureStats[] out = new FeatureStats[1 + classes];
        out[0] = f.stats();
        int[] counts = new int[classes];
        for (int l : labels) {
            counts[l]++;
        }
        for (int c = 0; c < classes; c++) {
            if (counts[c] == 0) {
                continue;
            }
            double[] rows = new double[counts[c] * dim];
            int r = 0;
            for (int i = 0; i < n; i++) {
                if (labels[i] == c) {
                    System.arraycopy(f.rows(), i * dim, rows, r++ * dim, dim);
                }
            }
            out[1 + c] = new FeatureStats(dim);
            out[1 + c].addBatch(rows, counts[c]);
        }
        return out;
    }

    private static FeatureStats merge(FeatureStats a, FeatureStats b) {
        return a == null ? b : b == null ? a : a.merge(b);
    }

    /** One chunk's features (n×D, row-major) and their sums. */
    record Chunk(FeatureStats stats, double[] rows, int dim) {
    }

    /**
     * The detector run once on the driver on the first images (a batch of two where there are two), before any task
     * starts or anything is written: a file that is not a network, a --dim it does not return, a network that only
     * takes a batch of one or returns values that are not finite is refused in one line.
     */
    static void probeDetector(ImageDataset ds, NetSpec det, HadoopConf hadoop, int n, int[] shape) {
        String what = "ref-stats --detector " + det.path() + " --dim " + det.dim();
        Chunk c;
        try {
            c = features(ds, det, hadoop, 0, n, shape);
        } catch (ConfigException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(what + ": " + org.diffsweep.family.Family.rootLine(e)
                    + " (a probe on " + n + " images of " + shape[1] + "x" + shape[2] + ")");
        }
        for (int i = 0; i < c.rows().length; i++) {
            if (!Double.isFinite(c.rows()[i])) {
                throw new ConfigException(what + ": returned " + c.rows()[i] + " as feature " + i % c.dim()
                        + " of image " + i / c.dim() + ", expected finite features");
            }
        }
    }

    /** The features of images [start, start + n): the detector's on 3-channel uint8, or the pixels in [−1, 1]. */
    static Chunk features(ImageDataset ds, NetSpec det, HadoopConf hadoop, long start, int n, int[] shape)
            throws IOException {
        return features(ds.read(start, n), det, hadoop, n, shape);
    }

    /** The features of {@code n} images read already (NCHW, the data set's channels). */
    static Chunk features(byte[] images, NetSpec det, HadoopConf hadoop, int n, int[] shape) {
        int per = shape[0] * shape[1] * shape[2];
        if (det == null) {
            FeatureStats s = new FeatureStats(per);
            double[] rows = new double[n * per];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = (images[i] & 0xff) / 127.5 - 1;
            }
            s.addBatch(rows, n);
            return new Chunk(s, rows, per);
        }
        Detector detector = ModelCache.detector(det, hadoop);
        byte[] rgb = shape[0] == 3 ? images : Images.repeatChannels(images, n, shape[1], shape[2]);
        float[] f = detector.features(rgb, n, shape[1], shape[2]);
        FeatureStats s = new FeatureStats(detector.dim());
        double[] rows = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            rows[i] = f[i];
        }
        s.addBatch(rows, n);
        return new Chunk(s, rows, detector.dim());
    }

    /**
     * The images whose features are kept: {@code kept} distinct indices of [0, count), ascending, from a stream
     * keyed by {@link #KEEP_SEED} (all of them when {@code kept} = count).
     */
    static int[] keptIndices(long count, long kept) {
        if (count > Integer.MAX_VALUE) {
            throw new ConfigException("ref-stats --keep: " + count + " images, expected at most " + Integer.MAX_VALUE);
        }
        if (kept >= count) {
            int[] all = new int[(int) count];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        return org.diffsweep.metrics.Kid.subset(count, (int) kept, KEEP_SEED, 0, 0);
    }

    /** Writes the kept rows of the chunk starting at image {@code start} as {@code part-<chunk>.parquet}. */
    private static void writeKept(Chunk chunk, int[] chunkLabels, int[] chosen, long start, String dir,
                                  HadoopConf hadoop, Map<String, String> metadata) throws IOException {
        int n = chunk.rows().length / chunk.dim();
        int from = lowerBound(chosen, start);
        int to = lowerBound(chosen, start + n);
        if (from == to) {
            return;
        }
        int dim = chunk.dim();
        long[] index = new long[to - from];
        float[] rows = new float[index.length * dim];
        int[] labels = chunkLabels == null ? null : new int[index.length];
        for (int i = 0; i < index.length; i++) {
            index[i] = chosen[from + i];
            int r = (int) (index[i] - start);
            if (labels != null) {
                labels[i] = chunkLabels[r];
            }
            for (int d = 0; d < dim; d++) {
                rows[i * dim + d] = (float) chunk.rows()[r * dim + d];
            }
        }
        Path file = new Path(dir, String.format("part-%08d.parquet", start / CHUNK));
        org.diffsweep.spark.FeatureParquet.writeKept(file, hadoop.get(), index, rows, dim, labels, metadata);
    }

    /** The first position of {@code a} (ascending) holding a value ≥ v. */
    private static int lowerBound(int[] a, long v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The sums as they are stored: one row of n, Σf, Σffᵀ (row-major) and the metadata. */
    static final StructType SUMS_SCHEMA = new StructType()
            .add("n", DataTypes.LongType, false)
            .add("sum", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("sum_outer", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
            .add("metadata", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), false);

    /**
     * Writes the sums to {@code X.parquet._tmp} and commits them as {@code X.parquet}; the {@code .npz} and
     * {@code .json} of an earlier run are removed first, so that they never stand beside sums they were not made
     * from.
     */
    private static void writeSums(SparkSession spark, FileSystem fs, String out, FeatureStats stats,
                                  Map<String, String> metadata) throws IOException {
        Path sums = new Path(sibling(out, ".parquet"));
        Path tmp = OutputFiles.tmpDir(sums);
        boolean written = false;
        try {
            spark.createDataFrame(List.of(RowFactory.create(stats.count(), stats.sum(), stats.sumOuter(),
                            scala.jdk.javaapi.CollectionConverters.asScala(metadata))), SUMS_SCHEMA)
                    .coalesce(1).write().parquet(tmp.toString());
            written = true;
        } finally {
            if (!written) {
                fs.delete(tmp, true);
            }
        }
        OutputFiles.delete(fs, new Path(out));
        OutputFiles.delete(fs, new Path(sibling(out, ".json")));
        OutputFiles.commitDir(fs, tmp, sums);
    }

    /** Committed sums and their metadata. */
    private record Committed(FeatureStats stats, Map<String, String> metadata) {
    }

    /**
     * The committed sums of this plan (data, image count, detector), or null if there are none: no directory, not
     * one row, or another plan (then they are measured again).
     */
    private static Committed committedSums(SparkSession spark, FileSystem fs, Path sums, Map<String, String> plan)
            throws IOException {
        if (!fs.exists(new Path(sums, "_SUCCESS"))) {
            return null;
        }
        List<Row> rows;
        try {
            rows = spark.read().schema(SUMS_SCHEMA).parquet(sums.toString()).collectAsList();
        } catch (RuntimeException e) {
            System.out.printf("ref-stats: %s cannot be read (%s); measuring again%n", sums, OutputFiles.firstLine(e));
            return null;
        }
        if (rows.size() != 1) {
            return null;
        }
        Row r = rows.get(0);
        Map<String, String> metadata = new LinkedHashMap<>(r.getJavaMap(3));
        for (Map.Entry<String, String> e : plan.entrySet()) {
            if (!e.getValue().equals(metadata.get(e.getKey()))) {
                return null;
            }
        }
        double[] sum = r.getList(1).stream().mapToDouble(v -> (Double) v).toArray();
        double[] outer = r.getList(2).stream().mapToDouble(v -> (Double) v).toArray();
        try {
            return new Committed(new FeatureStats(r.getLong(0), sum, outer), metadata);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Checks, before anything runs, that the {@code .npz}, {@code .json} and Parquet sums can be written: the path
     * must end in {@code .npz}, the file system be reachable and the directory writable (it is made if missing),
     * the files be files if they exist, and an existing {@code X.parquet} (or a temporary one left by a failed run)
     * hold only Spark's Parquet output, so that it can be replaced.
     *
     * @param out the {@code .npz}, qualified
     * @return its file system
     * @throws ConfigException one line naming the path and what was expected
     */
    public static FileSystem checkOutput(Configuration conf, String out) {
        if (!out.endsWith(".npz")) {
            throw new ConfigException("--out " + out + ", expected a path ending in .npz");
        }
        String what = "ref-stats --out " + out;
        FileSystem fs = OutputFiles.requireWritable(conf, what, out, List.of(out, sibling(out, ".json")));
        Path sums = new Path(sibling(out, ".parquet"));
        OutputFiles.requireReplaceable(fs, what, sums, false, List.of());
        OutputFiles.requireReplaceable(fs, what, OutputFiles.tmpDir(sums), true, List.of());
        Path kept = new Path(sibling(out, ".features.parquet"));
        OutputFiles.requireReplaceable(fs, what, kept, false, List.of());
        OutputFiles.requireReplaceable(fs, what, OutputFiles.tmpDir(kept), true, List.of());
        return fs;
    }

    /** {@code X<suffix>} beside {@code X.npz}. */
    private static String sibling(String out, String suffix) {
        return OutputFiles.sibling(out, ".npz", suffix);
    }
}
