package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block's features decode to exactly the floats written, over several pages, through both ways a block is read
 * (java.nio, and Hadoop's file system for one with a checksum sidecar); a row of another length than D, or an empty
 * one, is refused by name wherever it sits.
 */
class FeatureBlocksTest {

    @TempDir
    java.nio.file.Path dir;

    private final Configuration conf = HadoopStore.driverConf();

    private Path write(String name, List<FeatureParquet.Row> rows, boolean raw) throws IOException {
        Path p = new Path(dir.toUri().toString(), name);
        if (raw) {
            FeatureParquet.write(FileSystem.getLocal(conf).getRaw(), p, conf, "c", 2, "euler", "edm", rows, Map.of());
        } else {
            FeatureParquet.write(p, conf, "c", 2, "euler", "edm", rows, Map.of());
        }
        return p;
    }

    @Test
    void featuresComeBackExactlyOverSeveralPages() throws Exception {
        int dim = 2048;
        SplittableRandom rng = new SplittableRandom(3);
        List<FeatureParquet.Row> rows = new ArrayList<>();
        float[] all = new float[300 * dim];
        for (int r = 0; r < 300; r++) {
            float[] f = new float[dim];
            for (int i = 0; i < dim; i++) {
                f[i] = (float) rng.nextGaussian();
            }
            System.arraycopy(f, 0, all, r * dim, dim);
            rows.add(new FeatureParquet.Row(1000 + r, f));
        }
        for (boolean raw : new boolean[] {true, false}) {
            Path p = write("block-" + raw + ".parquet", rows, raw);
            FeatureBlocks.Block b = FeatureBlocks.read(p, conf, dim);
            assertEquals(300, b.rows());
            assertEquals(1000, b.seeds()[0]);
            assertEquals(1299, b.seeds()[299]);
            assertArrayEquals(all, b.features(), "raw " + raw);
        }
    }

    @Test
    void aRowOfAnotherLengthOrAnEmptyOneIsRefusedByItsSeed() throws Exception {
        int dim = 64;
        int[][] cases = {{64, 63, 65, 64}, {64, 64, 65}, {64, 64, 63}, {64, 0, 64}, {63}};
        for (int k = 0; k < cases.length; k++) {
            List<FeatureParquet.Row> rows = new ArrayList<>();
            int bad = -1;
            for (int r = 0; r < cases[k].length; r++) {
                rows.add(new FeatureParquet.Row(r, new float[cases[k][r]]));
                if (bad < 0 && cases[k][r] != dim) {
                    bad = r;
                }
            }
            Path p = write("ragged-" + k + ".parquet", rows, true);
            IOException e = assertThrows(IOException.class, () -> FeatureBlocks.read(p, conf, dim),
                    java.util.Arrays.toString(cases[k]));
            assertTrue(e.getMessage().contains("does not hold " + dim + " features")
                    || e.getMessage().contains("a row holds more than " + dim), e.getMessage());
            if (e.getMessage().contains("does not hold")) {
                assertTrue(e.getMessage().contains("seed " + bad + " ") || e.getMessage().contains("row " + bad + " "),
                        java.util.Arrays.toString(cases[k]) + ": " + e.getMessage());
            }
        }
    }
}
