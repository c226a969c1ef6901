package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.cli.Main;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.psld.PsldModel;
import org.diffsweep.spark.HadoopConf;
import org.diffsweep.spark.ModelCache;
import org.diffsweep.spark.ModelFiles;
import org.diffsweep.spark.SparkTestSupport;
import org.junit.jupiter.api.Test;

/**
 * The shipped PSLD ε network (models/fmnist-psld-eps.md) through the production path (config, model cache, the
 * PSLD family's adapter with 2C = 2 channels): DJL gives the outputs the export script recorded with PyTorch, for
 * TorchScript and ONNX. A network that is not a PSLD network is refused in one line naming it.
 */
class ShippedPsldModelTest {

    static final String PROCESS = "process: { name: psld, beta_min: 8, beta_max: 8, gamma: 0.02, nu: 4.02, kappa: 0.04 }\n";

    static SweepConfig config(String path, String output) {
        String yaml = "name: psld-fixture\nmodel: { type: djl, path: " + path + ", output: " + output
                + ", shape: [1, 28, 28], batch: 3 }\nreference: models/fmnist-train-features.npz\n"
                + PROCESS + "seeds: { count: 4 }\nsamplers: [ { name: sscs } ]\ngrids: [ { name: uniform } ]\n"
                + "nfe: [5]\n";
        Configuration conf = new Configuration();
        return SweepConfig.parse(yaml, "test").resolveFiles(p -> ModelFiles.sha256(p, conf));
    }

    @Test
    void djlReproducesTheRecordedOutputsThroughThePsldAdapter() throws Exception {
        JsonNode f = new ObjectMapper().readTree(Path.of("models/fmnist-psld-eps.fixture.json").toFile());
        int batch = f.get("z_shape").get(0).asInt();
        assertEquals(2, f.get("z_shape").get(1).asInt());
        double[] z = new double[f.get("z").size()];
        for (int i = 0; i < z.length; i++) {
            z[i] = f.get("z").get(i).asDouble();
        }
        int per = z.length / batch;
        for (String file : new String[] {"models/fmnist-psld-eps.pt", "models/fmnist-psld-eps.onnx"}) {
            SweepConfig c = config(file, "psld-epsilon");
            SampleModel model = ModelCache.model(c.model(), c.family(), new HadoopConf(new Configuration()));
            assertEquals(784, model.dim());
            c.family().probe(model);
            double worst = 0;
            for (int b = 0; b < batch; b++) { // each row at its own time
                double[] row = java.util.Arrays.copyOfRange(z, b * per, (b + 1) * per);
                double[] eps = ((PsldModel) model).epsilon(row, 1, f.get("t").get(b).asDouble());
                for (int i = 0; i < per; i++) {
                    double expected = f.get("eps").get(b * per + i).asDouble();
                    worst = Math.max(worst, Math.abs(eps[i] - expected));
                    assertEquals(expected, eps[i], 1e-4, file + " row " + b + " value " + i);
                }
            }
            System.out.printf("shipped PSLD model %s: max |diff| vs recorded %.2e%n", file, worst);
        }
    }

    @Test
    void aOneImageNetworkIsRefusedAsAPsldNetwork() throws Exception {
        SweepConfig c = config("models/fmnist-edm-denoiser.pt", "psld-epsilon");
        SampleModel model = ModelCache.model(c.model(), c.family(), new HadoopConf(new Configuration()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.family().probe(model));
        assertTrue(e.getMessage().contains("fmnist-edm-denoiser.pt") && e.getMessage().contains("2C channels"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());

        // The same through the command line: exit code 2, one line, nothing written.
        Path dir = SparkTestSupport.tempDir("psld-wrong-net");
        Path out = dir.resolve("out");
        Path conf = dir.resolve("conf.yaml");
        Files.writeString(conf, "name: wrong\noutput: " + out + "\nmodel: { type: djl, path: "
                + Path.of("models/fmnist-edm-denoiser.pt").toAbsolutePath() + ", output: psld-epsilon, "
                + "shape: [1, 28, 28] }\ndetector: { path: " + Path.of("models/fmnist-features.pt").toAbsolutePath()
                + ", dim: 128 }\nreference: " + Path.of("models/fmnist-train-features.npz").toAbsolutePath() + "\n"
                + PROCESS + "seeds: { count: 4 }\nsamplers: [ { name: sscs } ]\ngrids: [ { name: uniform } ]\n"
                + "nfe: [5]\n");
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                "sweep", conf.toString(), "--master", "local[1]");
        assertEquals(Main.EXIT_BAD_INPUT, code, err.toString());
        assertEquals(1, err.toString().trim().lines().count(), err.toString());
        assertTrue(err.toString().contains("not a PSLD network"), err.toString());
        assertFalse(Files.exists(out), "nothing may be written for a refused config");
    }
}
