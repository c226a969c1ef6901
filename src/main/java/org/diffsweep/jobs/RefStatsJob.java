package org.diffsweep.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
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
 * pytorch-fid and EDM), as Parquet (the raw sums, mergeable), and their metadata as JSON.
 */
public final class RefStatsJob {

    private RefStatsJob() {
    }

    /** Images per Spark task. */
    static final int CHUNK = 2048;

    /**
     * @param detector the feature network (hash resolved here), or null for the pixels themselves in [−1, 1]
     * @param limit    use only the first {@code limit} images (0: all)
     * @param out      the {@code .npz} to write; {@code <out without .npz>.parquet} and {@code .json} beside it
     */
    public static Gaussian run(SparkSession spark, String data, String format, NetSpec detector, long limit,
                               String out) throws IOException {
        long t0 = System.nanoTime();
        if (!out.endsWith(".npz")) {
            throw new ConfigException("--out " + out + ", expected a path ending in .npz");
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
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
        HadoopConf hadoop = new HadoopConf(conf);
        ImageDataset ds = dataset;
        Progress progress = new Progress("ref-stats", chunks.size());
        spark.sparkContext().addSparkListener(progress);
        FeatureStats stats;
        try {
            stats = JavaSparkContext.fromSparkContext(spark.sparkContext())
                    .parallelize(chunks, chunks.size())
                    .map(c -> features(ds, det, hadoop, c[0], (int) c[1], shape))
                    .treeAggregate(null, RefStatsJob::merge, RefStatsJob::merge, 2);
        } finally {
            spark.sparkContext().removeSparkListener(progress);
        }
        Gaussian g = Gaussian.of(stats);
        write(spark, conf, out, stats, g, Map.of("data", dataset.describe(), "images", Long.toString(count),
                "detector", det == null ? "none (pixels in [-1, 1])" : det.id(), "code_version", CodeVersion.get()));
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

    private static void write(SparkSession spark, Configuration conf, String out, FeatureStats stats, Gaussian g,
                              Map<String, String> metadata) throws IOException {
        Path npz = new Path(out);
        FileSystem fs = npz.getFileSystem(conf);
        String base = out.substring(0, out.length() - ".npz".length());
        Path tmp = new Path(npz.getParent(), "_" + npz.getName() + ".tmp");
        fs.mkdirs(npz.getParent());
        try (OutputStream o = fs.create(tmp, true)) {
            Npz.write(o, Npz.of(g));
        }
        StructType schema = new StructType()
                .add("n", DataTypes.LongType, false)
                .add("sum", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
                .add("sum_outer", DataTypes.createArrayType(DataTypes.DoubleType, false), false)
                .add("metadata", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), false);
        spark.createDataFrame(List.of(RowFactory.create(stats.count(), stats.sum(), stats.sumOuter(),
                        scala.jdk.javaapi.CollectionConverters.asScala(metadata))), schema)
                .coalesce(1).write().mode("overwrite").parquet(base + ".parquet");
        Manifest.writeAtomically(fs, new Path(base + ".json"), Manifest.json(metadata));
        fs.delete(npz, false);
        if (!fs.rename(tmp, npz)) {
            throw new IOException("could not rename " + tmp + " to " + npz);
        }
    }
}
