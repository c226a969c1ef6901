package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.diffsweep.config.MetricsSpec;
import org.diffsweep.metrics.InceptionScore;
import org.junit.jupiter.api.Test;

/**
 * The Inception Score of a config read from blocks that carry a {@value ClassProbabilities#COLUMN} column (seed
 * order shuffled within each block): the same as the one-shot score of the rows in seed order, up to summing in
 * another order; blocks without the column are refused by name.
 */
class ClassProbabilitiesTest {

    static final MessageType WITH = Types.buildMessage()
            .required(PrimitiveTypeName.INT64).named("seed")
            .requiredList().requiredElement(PrimitiveTypeName.FLOAT).named("features")
            .requiredList().requiredElement(PrimitiveTypeName.FLOAT).named(ClassProbabilities.COLUMN)
            .named("features_block");

    static void write(Path path, Configuration conf, long[] seeds, float[] probs, int c, boolean withProbs)
            throws IOException {
        MessageType schema = withProbs ? WITH : Types.buildMessage()
                .required(PrimitiveTypeName.INT64).named("seed")
                .requiredList().requiredElement(PrimitiveTypeName.FLOAT).named("features").named("features_block");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(path).withType(schema).withConf(conf).build()) {
            for (int r = 0; r < seeds.length; r++) {
                Group g = groups.newGroup().append("seed", seeds[r]);
                g.addGroup("features").addGroup("list").append("element", 0.5f);
                if (withProbs) {
                    Group list = g.addGroup(ClassProbabilities.COLUMN);
                    for (int y = 0; y < c; y++) {
                        list.addGroup("list").append("element", probs[(int) seeds[r] * c + y]);
                    }
                }
                w.write(g);
            }
        }
    }

    @Test
    void blocksMergeIntoTheOneShotScore() throws IOException {
        int c = org.diffsweep.spark.MetricsTask.INCEPTION_CLASSES;
        int n = 50;
        SplittableRandom rng = new SplittableRandom(4);
        float[] probs = new float[n * c];
        for (int r = 0; r < n; r++) {
            double[] e = new double[c];
            double z = 0;
            int peak = rng.nextInt(7);
            for (int y = 0; y < c; y++) {
                e[y] = Math.exp(rng.nextGaussian() + (y == peak ? 6 : 0));
                z += e[y];
            }
            for (int y = 0; y < c; y++) {
                probs[r * c + y] = (float) (e[y] / z);
            }
        }
        Configuration conf = new Configuration();
        String out = SparkTestSupport.tempDir("class-probabilities").resolve("out").toUri().toString();
        SweepLayout layout = new SweepLayout(out);
        int block = 20;
        for (long s = 0; s < n; s += block) {
            int rows = (int) Math.min(block, n - s);
            long[] seeds = new long[rows];
            for (int i = 0; i < rows; i++) {
                seeds[i] = s + (i * 7L) % rows; // every seed of the block once, out of order
            }
            write(layout.block("cfg", s, s + rows), conf, seeds, probs, c, true);
        }
        for (InceptionScore.Variant v : InceptionScore.Variant.values()) {
            MetricsSpec spec = new MetricsSpec(0, 0, 0, 0, 0, null, 10, v.id());
            InceptionScore.Result r = MetricsTask.inceptionScore(layout, conf, "cfg", 0, n, block, spec);
            InceptionScore.Result whole = InceptionScore.ofProbabilities(probs, n, c, 10, v);
            assertEquals(whole.mean(), r.mean(), 1e-12 * whole.mean(), v.id());
            assertEquals(whole.sd(), r.sd(), 1e-12 * whole.mean(), v.id());
            assertEquals(n, r.n());
            assertEquals(v, r.variant());
        }
        Path plain = new Path(SparkTestSupport.tempDir("no-probabilities").resolve("b.parquet").toUri());
        write(plain, conf, new long[] {0, 1}, probs, c, false);
        assertFalse(ClassProbabilities.present(plain, conf));
        assertTrue(ClassProbabilities.present(layout.block("cfg", 0, block), conf));
        IOException e = assertThrows(IOException.class, () -> ClassProbabilities.accumulate(plain, conf, 0,
                new int[2], new InceptionScore.Accumulator(1, c)));
        assertTrue(e.getMessage().contains(ClassProbabilities.COLUMN), e.getMessage());
        IOException wrong = assertThrows(IOException.class, () -> ClassProbabilities.accumulate(
                layout.block("cfg", 0, block), conf, 0, new int[n], new InceptionScore.Accumulator(1, c + 1)));
        assertTrue(wrong.getMessage().contains("does not hold " + (c + 1)), wrong.getMessage());
    }
}
