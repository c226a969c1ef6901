package org.diffsweep.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.jobs.Spark;

/** One local Spark session for all Spark tests of a JVM (they are few and their data tiny). */
public final class SparkTestSupport {

    private static SparkSession session;

    private SparkTestSupport() {
    }

    public static synchronized SparkSession spark() {
        if (session == null) {
            session = Spark.session("diffsweep-tests", "local[2]");
        }
        return session;
    }

    /** A fresh directory under target/test-work. */
    public static Path tempDir(String name) throws IOException {
        Path base = Path.of(System.getProperty("diffsweep.test.tmp", "target/test-work"));
        Files.createDirectories(base);
        return Files.createTempDirectory(base, name + "-");
    }

    /** A tiny sweep config: a small mixture, two samplers, two NFEs. */
    public static String tinyConfig(String output, int seeds, int blockSize) {
        return tinyConfig(output, seeds, blockSize, 5);
    }

    /** The tiny config with another mixture (a model no other test has built). */
    public static String tinyConfig(String output, int seeds, int blockSize, long modelSeed) {
        return """
                name: tiny
                output: %s
                model:
                  type: gmm
                  random: { components: 3, dim: 4, sigma_data: 0.5, seed: %d }
                seeds: { start: 10, count: %d }
                block_size: %d
                batch_size: 7
                samplers: [ { name: euler }, { name: heun } ]
                grids: [ { name: edm, rho: 7 } ]
                nfe: [ 5, 9 ]
                """.formatted(output, modelSeed, seeds, blockSize);
    }
}
