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
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        out = OutputFiles.qualify(out, conf);
        FileSystem fs = checkOutput(conf, out);
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
            throw new ConfigException(e.getMessage());
        }
        if (limit > 0) {
            count = Math.min(count, limit);
        }
        NetSpec det = detector == null ? null : detector.resolve(p -> ModelFiles.sha256(p, conf));
        List<long[]> chunks = new ArrayList<>();
        for (long s = 0; s < count; s += CHUNK) {
            chunks.add(new long[] {s, Math.min(count, s + CHUNK) - s});
        }
        System.out.printf("ref-stats: %s, %d images of %dx%dx%d, detector %s, %d tasks%n", dataset.describe(), count,
                shape[0], shape[1], shape[2], det == null ? "none (pixels)" : det.id(), chunks.size());
        Map<String, String> plan = new LinkedHashMap<>();
        plan.put("data", dataset.describe());
        plan.put("images", Long.toString(count));
        plan.put("detector", det == null ? "none (pixels in [-1, 1])" : det.id());
        Path npz = new Path(out);
        Path sums = new Path(sibling(out, ".parquet"));
        OutputFiles.clearTemporary(fs, List.of(out, sibling(out, ".json")), List.of(sums));
        Committed committed = fs.exists(npz) ? null : committedSums(spark, fs, sums, plan);
        FeatureStats stats;
        Map<String, String> metadata;
        if (committed != null) {
            System.out.printf("ref-stats: %s holds the sums of this data, image count and detector (an earlier run "
                    + "stopped before its .npz); using them%n", sums);
            stats = committed.stats();
            metadata = committed.metadata();
        } else {
            HadoopConf hadoop = new HadoopConf(conf);
            ImageDataset ds = dataset;
            Progress progress = new Progress("ref-stats", chunks.size());
            spark.sparkContext().addSparkListener(progress);
            try {
                stats = JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .parallelize(chunks, chunks.size())
                        .map(c -> features(ds, det, hadoop, c[0], (int) c[1], shape))
                        .treeAggregate(null, RefStatsJob::merge, RefStatsJob::merge, 2);
            } finally {
                spark.sparkContext().removeSparkListener(progress);
            }
            metadata = new LinkedHashMap<>(plan);
            metadata.put("code_version", CodeVersion.get());
            writeSums(spark, fs, out, stats, metadata);
        }
        Gaussian g = Gaussian.of(stats);
        Manifest.writeAtomically(fs, new Path(sibling(out, ".json")), Manifest.json(metadata));
        OutputFiles.write(fs, npz, o -> Npz.write(o, Npz.of(g)));
        System.out.printf("ref-stats: %d images, %d features, written to %s (%.1f s)%n", stats.count(), stats.dim(),
                out, (System.nanoTime() - t0) / 1e9);
        return g;
    }

    private static FeatureStats merge(FeatureStats a, FeatureStats b) {
        return a == null ? b : b == null ? a : a.merge(b);
    }

    /** The features of images [start, start + n): the detector's on 3-channel uint8, or the pixels in [−1, 1]. */
    static FeatureStats features(ImageDataset ds, NetSpec det, HadoopConf hadoop, long start, int n, int[] shape)
            throws IOException {
        byte[] images = ds.read(start, n);
        int per = shape[0] * shape[1] * shape[2];
        if (det == null) {
            FeatureStats s = new FeatureStats(per);
            double[] rows = new double[n * per];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = (images[i] & 0xff) / 127.5 - 1;
            }
            s.addBatch(rows, n);
            return s;
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
        return s;
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
        return fs;
    }

    /** {@code X<suffix>} beside {@code X.npz}. */
    private static String sibling(String out, String suffix) {
        return OutputFiles.sibling(out, ".npz", suffix);
    }
}
