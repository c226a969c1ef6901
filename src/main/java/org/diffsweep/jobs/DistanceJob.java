package org.diffsweep.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.Comparison;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.report.NfeTable;
import org.diffsweep.report.Table;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.Manifest;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.SweepLayout;
import scala.Tuple2;

/**
 * The {@code distance} job: how far each config's samples are from an anchor's on the same seed, in the features
 * FID is computed from. The anchor is another finished sweep of the same model, detector and seeds, normally one
 * high-NFE config (a converged ODE solution): then the distance measures each sampler's integration error on the
 * real network, seed by seed, as the {@code oracle} does on the exact mixture. FID need not follow it: a sampler
 * can sit closer to the ODE's endpoint and still score a worse FID.
 *
 * <p>Per config: the mean over seeds of ‖f(seed) − f_anchor(seed)‖², with its standard error (the seeds are
 * independent draws), and for every {@code vs:} pair the mean of the per-seed differences with its paired SE.
 * Writes {@code OUT/distance/distance.{md,csv}}.
 */
public final class DistanceJob {

    private DistanceJob() {
    }

    /** One config's distance to the anchor: the mean squared feature distance and its SE over seeds. */
    public record Entry(SweepPoint point, long n, double mean, double se) {
    }

    /** A paired difference of distances: candidate − baseline, per seed, averaged. */
    public record Difference(Comparison comparison, double mean, double se) {
    }

    public static List<Entry> run(SparkSession spark, SweepConfig config, SweepConfig anchor) throws IOException {
        long t0 = System.nanoTime();
        config.requireStatisticsMade();
        anchor.requireStatisticsMade();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        config = ModelFiles.resolve(config, conf);
        anchor = ModelFiles.resolve(anchor, conf);
        if (anchor.points().size() != 1) {
            throw new ConfigException("anchor " + anchor.name() + " has " + anchor.points().size()
                    + " configs, expected exactly one (e.g. one sampler at a high NFE)");
        }
        if (!anchor.model().id().equals(config.model().id())) {
            throw new ConfigException("anchor " + anchor.name() + " samples model " + anchor.model().id()
                    + ", expected the sweep's model " + config.model().id());
        }
        String detector = config.detector() == null ? "none" : config.detector().id();
        String anchorDetector = anchor.detector() == null ? "none" : anchor.detector().id();
        if (!detector.equals(anchorDetector)) {
            throw new ConfigException("anchor " + anchor.name() + " has detector " + anchorDetector
                    + ", expected the sweep's detector " + detector);
        }
        long first = config.seedStart();
        long last = config.seedStart() + config.seedCount() - 1;
        if (anchor.seedStart() > first || anchor.seedStart() + anchor.seedCount() - 1 < last) {
            throw new ConfigException("anchor " + anchor.name() + " has seeds " + anchor.seedStart() + "–"
                    + (anchor.seedStart() + anchor.seedCount() - 1) + ", expected it to cover the sweep's seeds "
                    + first + "–" + last);
        }
        for (SweepConfig c : new SweepConfig[] {config, anchor}) {
            if (!SweepJob.complete(spark, c)) {
                throw new ConfigException("sweep output " + new SweepLayout(c.output()).sweepDir() + " of "
                        + c.name() + " is not complete, expected a finished sweep (run 'diffsweep run' first)");
            }
        }
        JavaPairRDD<Long, float[]> anchorRows = features(spark, new SweepLayout(anchor.output()), first, last)
                .mapToPair(t -> new Tuple2<>(t._2()._1(), t._2()._2()));
        List<Tuple2<String, Tuple2<Long, Double>>> distances = features(spark, new SweepLayout(config.output()), first,
                last)
                .mapToPair(t -> new Tuple2<>(t._2()._1(), new Tuple2<>(t._1(), t._2()._2())))
                .join(anchorRows)
                .map(j -> {
                    float[] f = j._2()._1()._2();
                    float[] g = j._2()._2();
                    double s = 0;
                    for (int i = 0; i < f.length; i++) {
                        double d = (double) f[i] - g[i];
                        s += d * d;
                    }
                    return new Tuple2<>(j._2()._1()._1(), new Tuple2<>(j._1(), s));
                })
                .collect();
        Map<String, Map<Long, Double>> byConfig = new HashMap<>();
        for (Tuple2<String, Tuple2<Long, Double>> d : distances) {
            byConfig.computeIfAbsent(d._1(), k -> new HashMap<>()).put(d._2()._1(), d._2()._2());
        }
        List<Entry> entries = new ArrayList<>();
        for (SweepPoint p : config.points()) {
            Map<Long, Double> d = byConfig.getOrDefault(p.id(), Map.of());
            if (d.size() != config.seedCount()) {
                throw new IOException("config " + p.id() + ": " + d.size() + " seeds paired with the anchor, expected "
                        + config.seedCount());
            }
            double[] meanSe = meanSe(d.values().stream().mapToDouble(Double::doubleValue).toArray());
            entries.add(new Entry(p, d.size(), meanSe[0], meanSe[1]));
        }
        List<Difference> differences = new ArrayList<>();
        for (Comparison c : config.comparisons()) {
            Map<Long, Double> a = byConfig.get(c.candidateId());
            Map<Long, Double> b = byConfig.get(c.baselineId());
            Table.requireSameN(c.candidateId(), a.size(), c.baselineId(), b.size());
            double[] meanSe = meanSe(a.keySet().stream().mapToDouble(s -> a.get(s) - b.get(s)).toArray());
            differences.add(new Difference(c, meanSe[0], meanSe[1]));
        }
        SweepPoint anchorPoint = anchor.points().get(0);
        String md = markdown(config, anchor, anchorPoint, entries, differences);
        Path dir = new Path(config.output(), "distance");
        FileSystem fs = dir.getFileSystem(conf);
        fs.mkdirs(dir);
        Table table = table(config, anchor, anchorPoint, entries);
        Manifest.writeAtomically(fs, new Path(dir, "distance.csv"), table.toCsv());
        Manifest.writeAtomically(fs, new Path(dir, "distance.html"), table.toHtml());
        fs.delete(new Path(dir, "table.parquet"), true);
        org.diffsweep.spark.TableParquet.write(spark, table, new Path(dir, "table.parquet").toString());
        Manifest.writeAtomically(fs, new Path(dir, "distance.md"), md);
        System.out.println();
        System.out.print(md);
        System.out.printf("%ndistance %s: written to %s (%.1f s)%n", config.name(), dir, (System.nanoTime() - t0) / 1e9);
        return entries;
    }

    /** (config_id, (seed, features)) of a sweep's seeds in [first, last]. */
    private static JavaPairRDD<String, Tuple2<Long, float[]>> features(SparkSession spark, SweepLayout layout,
                                                                       long first, long last) {
        return spark.read().option("recursiveFileLookup", "true").parquet(layout.features().toString())
                .select("config_id", "seed", "features").javaRDD()
                .filter(r -> r.getLong(1) >= first && r.getLong(1) <= last)
                .mapToPair((Row r) -> {
                    List<Float> list = r.getList(2);
                    float[] f = new float[list.size()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = list.get(i);
                    }
                    return new Tuple2<>(r.getString(0), new Tuple2<>(r.getLong(1), f));
                });
    }

    /** The mean and its standard error sd/√n (NaN SE for one value). */
    static double[] meanSe(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        return new double[] {mean, v.length < 2 ? Double.NaN : Math.sqrt(ss / (v.length - 1) / v.length)};
    }

    /** What distance.csv states: the anchor is the reference, its n the seeds paired with it. */
    static Table.Provenance provenance(SweepConfig config, SweepConfig anchorConfig, SweepPoint anchor) {
        return new Table.Provenance(config.model().id(), FidJob.detectorId(config), "anchor " + anchorConfig.name()
                + ": " + anchor.sampler() + " on " + anchor.grid() + " at " + anchor.nfe() + " NFE", "none",
                Long.toString(config.seedCount()), config.seedCount(),
                Table.Provenance.seeds(config.seedStart(), config.seedCount()), CodeVersion.get());
    }

    /** distance.csv: its 13 columns as before (numbers as %.17g), n_reference and detector added after them. */
    static Table table(SweepConfig config, SweepConfig anchorConfig, SweepPoint anchor, List<Entry> entries) {
        Map<String, Long> ns = new java.util.LinkedHashMap<>();
        entries.forEach(e -> ns.put(e.point().id(), e.n()));
        Table.requireOneN(ns);
        Table.Provenance prov = provenance(config, anchorConfig, anchor);
        Table t = new Table("Distance to the anchor: " + config.name(), prov, List.of(
                Table.Column.string("config_id", "the config (sampler, grid, NFE)"),
                Table.Column.string("sampler", "the sampler and its options"),
                Table.Column.string("grid", "the time/noise-level grid"),
                Table.Column.integer("nfe_requested", "the NFE budget of the config"),
                Table.Column.integer("nfe", "network evaluations actually used"),
                Table.Column.count("n", "seeds paired with the anchor"),
                Table.Column.real("mean_sq_distance", "%.17g", "mean over seeds of the squared feature distance "
                        + "to the anchor's sample of the same seed"),
                Table.Column.real("se", "%.17g", "standard error of that mean over seeds"),
                Table.Column.string("anchor_sampler", "the anchor's sampler"),
                Table.Column.string("anchor_grid", "the anchor's grid"),
                Table.Column.integer("anchor_nfe", "the anchor's network evaluations"),
                Table.Column.string("model", "the model's identity"),
                Table.Column.string("code_version", "the code that computed the row"),
                Table.Column.string("n_reference", "the anchor's samples paired with the config's"),
                Table.Column.string("detector", "the feature detector with its hash, or none")));
        for (Entry e : entries) {
            SweepPoint p = e.point();
            t.add(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.nfe(), e.n(), e.mean(), e.se(),
                    anchor.sampler(), anchor.grid(), anchor.nfe(), config.model().id(), prov.codeVersion(),
                    prov.nReference(), prov.detector());
        }
        return t;
    }

    static String markdown(SweepConfig config, SweepConfig anchorConfig, SweepPoint anchor, List<Entry> entries,
                           List<Difference> differences) {
        NfeTable distances = new NfeTable("sampler", "grid");
        for (Entry e : entries) {
            SweepPoint p = e.point();
            distances.put(p.sampler() + " | " + p.grid(), p.nfeRequested(),
                    String.format(Locale.ROOT, "%.4g ± %.2g", e.mean(), e.se()));
        }
        StringBuilder sb = new StringBuilder("# Distance to the anchor: ").append(config.name()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "mean over seeds %d–%d of ‖f − f_anchor‖² in the detector's features (%s), "
                + "anchor %s on %s at %d NFE (sweep %s), model %s, %s%n%n", config.seedStart(),
                config.seedStart() + config.seedCount() - 1, config.detector() == null ? "the samples themselves"
                : config.detector().id(), anchor.sampler(), anchor.grid(), anchor.nfe(),
                anchorConfig.name(), config.model().id(), CodeVersion.get()));
        sb.append(String.format(Locale.ROOT, "n_generated %d per config, n_reference %d (the anchor's samples on the "
                + "same seeds), detector %s%n%n", config.seedCount(), config.seedCount(), FidJob.detectorId(config)));
        sb.append(distances.markdown());
        if (!differences.isEmpty()) {
            NfeTable diffs = new NfeTable("comparison");
            differences.forEach(d -> diffs.put(d.comparison().name(), d.comparison().nfeRequested(),
                    FidJob.signedCell(d.mean(), d.se())));
            sb.append("\n## Paired differences (candidate − baseline, same seeds)\n\n")
                    .append(diffs.markdown(distances.nfes()));
            sb.append("\nNegative: the candidate is closer to the anchor. * marks a difference larger than twice its SE.\n");
        }
        sb.append("\n± is the standard error over seeds (independent draws).\n");
        return sb.toString();
    }
}
