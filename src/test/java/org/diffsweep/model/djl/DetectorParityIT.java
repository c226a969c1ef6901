package org.diffsweep.model.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.diffsweep.features.DetectorFile;
import org.diffsweep.metrics.FeatureStats;
import org.diffsweep.metrics.FrechetDistance;
import org.diffsweep.metrics.Gaussian;
import org.diffsweep.metrics.Npz;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Full-size detectors through DJL against the Python tools on the same images: the folder named by
 * DIFFSWEEP_DETECTOR_PARITY (or -Ddiffsweep.detector.parity), written by tools/detectors/parity.py, either with
 * seeded stand-ins of NVIDIA's inception-2015-12-05.pt, pytorch-fid's weights and DINOv2 ViT-L/14, or with the
 * user's own files and images (tools/detectors/check.sh). For each detector: the features (and NVIDIA's
 * probabilities with no_output_bias) within the round-off bound of DjlDetectorParityTest, the FID of two image sets
 * against pytorch-fid's calculate_frechet_distance to 1e-6 relative where the folder has them, and images per
 * second through DJL beside the Python tool's on the same images, batch and threads. Skipped without the folder.
 */
class DetectorParityIT {

    static Path folder() {
        String dir = System.getProperty("diffsweep.detector.parity", System.getenv("DIFFSWEEP_DETECTOR_PARITY"));
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "manifest.json")),
                "skipped: DIFFSWEEP_DETECTOR_PARITY names no folder with a manifest.json (tools/detectors/parity.py)");
        return Path.of(dir);
    }

    @Test
    void detectorsMatchThePythonTools() throws Exception {
        Path dir = folder();
        JsonNode manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        int batch = manifest.path("batch").asInt(8);
        System.setProperty("ai.djl.pytorch.num_threads", manifest.path("threads").asText("1"));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        List<String> lines = new ArrayList<>();
        for (JsonNode d : manifest.path("detectors")) {
            String name = d.path("name").asText();
            Path file = dir.resolve(d.path("file").asText());
            Map<String, Npz.Array> data;
            try (InputStream in = Files.newInputStream(dir.resolve(d.path("data").asText()))) {
                data = Npz.read(in, name);
            }
            int dim = d.path("dim").asInt();
            DetectorFile info = DetectorFile.inspect(file);
            try (DjlNet net = DjlNet.load(name, file, "cpu")) {
                DjlDetector det = new DjlDetector(net, dim, batch, file.getFileName().toString(),
                        org.diffsweep.spark.ModelFiles.sha256(file.toString(), new org.apache.hadoop.conf.Configuration()));
                System.out.println(name + ": " + info.call() + ", " + det.protocol().provenance(
                        file.getFileName().toString(), "…"));
                if (name.equals("nvidia")) {
                    assertEquals(DetectorFile.Call.RETURN_FEATURES, info.call(), name + ": NVIDIA's interface");
                    assertEquals(2048, info.dim());
                }
                for (JsonNode s : d.path("sets")) {
                    String set = s.asText();
                    Npz.Array images = data.get("images_" + set);
                    int n = (int) images.shape()[0];
                    int h = (int) images.shape()[2];
                    int w = (int) images.shape()[3];
                    byte[] rgb = DjlDetectorParityTest.rgb(images);
                    double[] f = data.get("features_" + set).values();
                    double bound = DjlDetectorParityTest.bound(d.path("stages").asInt(), d.path("terms").asInt(),
                            DjlDetectorParityTest.floats(f));
                    double diff = DjlDetectorParityTest.compare(name + " features " + set, det.features(rgb, n, h, w),
                            f, bound);
                    lines.add(String.format("%s features %s: max |diff| %.3e, bound %.3e", name, set, diff, bound));
                    if (data.containsKey("probs_nobias_" + set)) {
                        double[] p = data.get("probs_nobias_" + set).values();
                        double pb = DjlDetectorParityTest.bound(d.path("stages").asInt() + 1, d.path("terms").asInt(),
                                DjlDetectorParityTest.floats(p));
                        DjlDetectorParityTest.compare(name + " probabilities " + set,
                                det.probabilities(rgb, n, h, w, true), p, pb);
                    }
                }
                if (data.containsKey("fid_reference")) {
                    Gaussian[] g = new Gaussian[2];
                    String[] sets = {"fid_a", "fid_b"};
                    for (int s = 0; s < 2; s++) {
                        Npz.Array a = data.get(sets[s]);
                        int n = (int) a.shape()[0];
                        float[] f = det.features(DjlDetectorParityTest.rgb(a), n, (int) a.shape()[2],
                                (int) a.shape()[3]);
                        FeatureStats stats = new FeatureStats(dim);
                        for (int i = 0; i < n; i++) {
                            stats.add(Arrays.copyOfRange(f, i * dim, (i + 1) * dim));
                        }
                        g[s] = Gaussian.of(stats);
                    }
                    double ours = FrechetDistance.between(g[0], g[1]);
                    double expected = data.get("fid_reference").values()[0];
                    double rel = Math.abs(ours - expected) / expected;
                    String line = String.format("%s FID %.12g vs pytorch-fid %.12g: relative difference %.3e", name,
                            ours, expected, rel);
                    System.out.println(line);
                    lines.add(line);
                    assertTrue(rel <= 1e-6, line);
                }
                Npz.Array first = data.get("images_" + d.path("sets").get(0).asText());
                int n = Math.min(batch, (int) first.shape()[0]);
                byte[] rgb = Arrays.copyOf(DjlDetectorParityTest.rgb(first), n * 3 * (int) (first.shape()[2]
                        * first.shape()[3]));
                det.features(rgb, n, (int) first.shape()[2], (int) first.shape()[3]);
                double[] rates = new double[3];
                for (int r = 0; r < rates.length; r++) {
                    long t = System.nanoTime();
                    det.features(rgb, n, (int) first.shape()[2], (int) first.shape()[3]);
                    rates[r] = n / ((System.nanoTime() - t) * 1e-9);
                }
                Arrays.sort(rates);
                double python = d.path("python_images_per_second").asDouble();
                String line = String.format("%s: DJL %.2f images/s, Python torch %.2f images/s, ratio %.2f (batch %d,"
                        + " %s threads)", name, rates[1], python, rates[1] / python, n, manifest.path("threads"));
                System.out.println(line);
                lines.add(line);
            }
        }
        Files.write(dir.resolve("diffsweep-parity.txt"), lines);
    }
}
