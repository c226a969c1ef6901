package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.config.NetSpec;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.jobs.FidJob;
import org.diffsweep.jobs.RefStatsJob;
import org.diffsweep.jobs.RunJob;
import org.diffsweep.jobs.SweepJob;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * End to end through the real 2048-d detector: the InceptionV3 (nsfwjs) that tools/inception/build.sh rebuilds
 * into target/models/inception-nsfwjs.pt. The ref-stats job makes reference statistics from the first
 * Fashion-MNIST training images (Debian's dataset-fashion-mnist, which build.sh installs). Two sweeps of the
 * shipped Fashion-MNIST denoiser (as conf/fmnist-demo.yaml) on the same seeds use that detector: a good one,
 * DPM-Solver++(2M) at NFE 10, run through sweep and fid; and a deliberately bad one, Euler at NFE 2 (one step
 * from σ_max straight to σ_min: every sample is close to the data mean), whose FID is computed here directly
 * from its features. (Two sweeps, because one sweep runs every sampler at every NFE of its list.)
 *
 * <p>Skipped when the model or the data set is absent, unless DIFFSWEEP_REQUIRE_INCEPTION=1 (as in CI): then it
 * fails instead.
 */
@Tag("spark")
class InceptionSweepIT {

    static final Path MODEL = Path.of("target/models/inception-nsfwjs.pt");
    static final Path FMNIST_TRAIN = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
    static final int DIM = 2048;
    static final int REFERENCE_IMAGES = 200;
    static final int SEEDS = 40;
    /** One seed block per jackknife group (the fid job's 10 groups of 4 seeds): few 32 MB sums per fid task. */
    static final int BLOCK = SEEDS / 10;

    /** Skips naming build.sh when {@code file} is absent, or fails when DIFFSWEEP_REQUIRE_INCEPTION=1. */
    static void requireOrSkip(Path file, String what) {
        if (Files.exists(file)) {
            return;
        }
        String message = file + " (" + what + ") is absent; run tools/inception/build.sh";
        if ("1".equals(System.getenv("DIFFSWEEP_REQUIRE_INCEPTION"))) {
            fail(message + " (DIFFSWEEP_REQUIRE_INCEPTION=1: this test must run)");
        }
        Assumptions.abort("skipped: " + message);
    }

    static String config(String name, Path out, String sampler, int nfe, Path reference) {
        return """
                name: %s
                output: %s
                model: { type: djl, path: models/fmnist-edm-denoiser.pt, shape: [1, 28, 28], batch: 250 }
                detector: { path: %s, dim: %d, batch: 16 }
                reference: %s
                process: { name: edm, sigma_min: 0.002, sigma_max: 80 }
                seeds: { start: 0, count: %d }
                block_size: %d
                batch_size: %d
                grid_images: 16
                samplers: [ { name: %s } ]
                grids: [ { name: edm, rho: 7 } ]
                nfe: [ %d ]
                """.formatted(name, out, MODEL, DIM, reference, SEEDS, BLOCK, BLOCK, sampler, nfe);
    }

    @Test
    void sweepAndFidThroughTheRealInception() throws Exception {
        requireOrSkip(MODEL, "the InceptionV3 (nsfwjs) detector");
        requireOrSkip(FMNIST_TRAIN, "Debian dataset-fashion-mnist");
        long t0 = System.nanoTime();
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("inception");

        // reference statistics of real images through the same detector, by the ref-stats job
        Path reference = dir.resolve("fmnist-train-inception.npz");
        NetSpec detector = new NetSpec("detector", MODEL.toString(), null, "detector", null, DIM, 16, null);
        Gaussian ref = RefStatsJob.run(spark, FMNIST_TRAIN.toString(), null, detector, REFERENCE_IMAGES,
                reference.toString());
        assertEquals(REFERENCE_IMAGES, ref.n());
        assertFeaturesUsable(ref.mean(), "reference mean");
        long tRef = System.nanoTime();

        // the good config: sweep + fid
        SweepConfig good = SweepConfig.parse(config("inception-good", dir.resolve("good"), "dpmpp-2m", 10, reference),
                "inception good");
        RunJob.Outcome outcome = RunJob.run(spark, good, 0);
        long tGood = System.nanoTime();
        FeatureStats goodStats = features(spark, dir.resolve("good"), true);
        assertEquals(1, outcome.table().size());
        FidJob.Entry entry = outcome.table().get(0);
        assertEquals(SEEDS, entry.n());
        assertTrue(Double.isFinite(entry.fid()) && entry.fid() > 0, "FID " + entry.fid());
        assertTrue(Double.isFinite(entry.se()) && entry.se() > 0, "FID SE " + entry.se());
        assertTrue(Files.size(dir.resolve("good/fid/fid.csv")) > 0);

        // the bad config: sweep only; its FID directly from its features
        SweepConfig bad = SweepConfig.parse(config("inception-bad", dir.resolve("bad"), "euler", 2, reference),
                "inception bad");
        SweepJob.run(spark, bad, 0);
        FeatureStats badStats = features(spark, dir.resolve("bad"), false);
        FrechetDistance.To toReference = new FrechetDistance.To(ref);
        double badFid = toReference.from(Gaussian.of(badStats));
        // the fid job's number, recomputed from the features it read
        double goodFid = toReference.from(Gaussian.of(goodStats));
        long tBad = System.nanoTime();

        System.out.printf("inception sweep: reference %d images, %d seeds: FID dpmpp-2m NFE 10 = %.4f ± %.4f (fid job; "
                        + "%.4f directly), euler NFE 2 = %.4f; times: ref-stats %.0f s, good sweep + fid %.0f s, bad "
                        + "sweep + FIDs %.0f s%n", REFERENCE_IMAGES, SEEDS, entry.fid(), entry.se(), goodFid, badFid,
                (tRef - t0) / 1e9, (tGood - tRef) / 1e9, (tBad - tGood) / 1e9);
        assertEquals(goodFid, entry.fid(), 1e-6 * Math.max(1, goodFid), "fid job vs its features");
        assertTrue(Double.isFinite(badFid) && badFid > 0, "euler NFE 2: FID " + badFid);
        assertTrue(badFid > entry.fid() + 10 * entry.se(), String.format("euler at NFE 2 (FID %.4f) is not clearly "
                + "worse than dpmpp-2m at NFE 10 (FID %.4f ± %.4f)", badFid, entry.fid(), entry.se()));
    }

    /** The sweep's features, each checked; with {@code distinct}, also that no two samples share their features. */
    static FeatureStats features(SparkSession spark, Path out, boolean distinct) {
        List<Row> rows = spark.read().option("recursiveFileLookup", "true")
                .parquet(out.resolve("sweep/features").toString()).collectAsList();
        assertEquals(SEEDS, rows.size(), out + ": feature rows");
        FeatureStats stats = new FeatureStats(DIM);
        Set<List<Float>> seen = new HashSet<>();
        for (Row r : rows) {
            List<Float> f = r.getList(r.fieldIndex("features"));
            String what = out.getFileName() + " seed " + r.getAs("seed");
            assertEquals(DIM, f.size(), what);
            float[] v = new float[DIM];
            double[] d = new double[DIM];
            for (int i = 0; i < DIM; i++) {
                v[i] = f.get(i);
                d[i] = v[i];
            }
            assertFeaturesUsable(d, what);
            assertTrue(seen.add(f) || !distinct, what + ": the same features as another seed");
            stats.add(v);
        }
        return stats;
    }

    /** 2048 finite values, not all equal. */
    static void assertFeaturesUsable(double[] v, String what) {
        assertEquals(DIM, v.length, what);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            assertTrue(Double.isFinite(x), what + ": feature " + x);
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        assertTrue(max > min, what + ": all " + DIM + " features equal " + min);
    }
}
