package org.diffsweep.config;

import java.io.Serializable;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * One named detector of a {@code detectors:} list: its network, the name of the Fréchet distance measured in its
 * features, its own reference statistics and (for the metrics stage) its own real features, and the column of the
 * features Parquet its features are stored in.
 *
 * <pre>
 *   detectors:
 *     - { name: inception, path: inception.pt, dim: 2048, metric: FID, reference: cifar10-inception.npz }
 *     - { name: dinov2, path: dinov2.pt, dim: 1024, metric: FD_DINOv2, reference: cifar10-dinov2.npz }
 * </pre>
 *
 * @param name              the detector's name (lower-case letters, digits, '_'); heads its column group
 * @param net               the network ({@code path}, {@code dim}, {@code batch})
 * @param declaredMetric    the {@code metric:} key, or null: then {@link #metric()} infers it from the hash
 * @param reference         its reference statistics, a qualified {@code .npz} path
 * @param referenceFeatures its real features for the metrics stage, a qualified path, or null
 * @param column            the features Parquet column: {@code features} for the first detector (as a single
 *                          {@code detector:} writes it), {@code features_<name>} for the others
 */
public record DetectorSpec(String name, NetSpec net, String declaredMetric, String reference,
                           String referenceFeatures, String column) implements Serializable {

    static final Set<String> KEYS = Set.of("name", "path", "dim", "batch", "metric", "reference",
            "reference_features");

    /** The metric of a detector whose hash is unknown and which declares none: a Fréchet distance. */
    public static final String DEFAULT_METRIC = "FD";

    /**
     * The hook that names the metric of a known detector from its SHA-256 (e.g. "FID" for NVIDIA's
     * inception-2015-12-05, "FD_DINOv2" for the DINOv2 ViT-L/14 detector), or null when the hash is not known.
     * {@link #KNOWN} knows none; a registry of published detectors can be installed with {@link #knownMetrics}.
     */
    public interface KnownMetrics extends Serializable {
        String metricOf(String sha256);
    }

    private static final KnownMetrics NONE = sha -> null;

    /** The installed registry of known detectors' metrics. */
    static volatile KnownMetrics KNOWN = NONE;

    /** Installs a registry of known detectors' metrics (SHA-256 → metric name). */
    public static void knownMetrics(KnownMetrics registry) {
        KNOWN = registry == null ? NONE : registry;
    }

    /**
     * The metric's name as the tables head its columns: the declared {@code metric:}, else the one the registry
     * knows for the hash, else {@value #DEFAULT_METRIC}.
     */
    public String metric() {
        if (declaredMetric != null) {
            return declaredMetric;
        }
        String known = net.sha256() == null ? null : KNOWN.metricOf(net.sha256());
        return known != null ? known : DEFAULT_METRIC;
    }

    /** The same detector with its network replaced (resolved: hash, and the dimension its file states). */
    DetectorSpec withNet(NetSpec resolvedNet) {
        return new DetectorSpec(name, resolvedNet, declaredMetric, reference, referenceFeatures, column);
    }

    /** The same detector with its network's hash resolved. */
    DetectorSpec resolve(UnaryOperator<String> hasher) {
        return new DetectorSpec(name, net.resolve(hasher), declaredMetric, reference, referenceFeatures, column);
    }

    /**
     * The same detector with the metric its file's protocol names (e.g. FD_DINOv2 for a DINOv2 build), where the
     * config declares none; the driver calls this once it has read the file.
     */
    public DetectorSpec withInferredMetric(String metric) {
        return declaredMetric != null || metric == null ? this
                : new DetectorSpec(name, net, metric, reference, referenceFeatures, column);
    }

    /** The column group's header: {@code <name> <metric>}, e.g. {@code dinov2 FD_DINOv2}. */
    public String heading() {
        return name + " " + metric();
    }

    /** Parses one entry of {@code detectors:}; {@code first} picks its column. */
    static DetectorSpec parse(Node node, org.diffsweep.io.Store store, boolean first, boolean metrics) {
        node.allowOnly(KEYS);
        String name = node.get("name").text();
        if (!name.matches("[a-z][a-z0-9_]{0,31}")) {
            throw node.get("name").error("'" + name + "', expected a lower-case letter, then up to 31 lower-case "
                    + "letters, digits or '_'");
        }
        String metric = null;
        if (node.has("metric")) {
            metric = node.get("metric").text();
            if (!metric.matches("[A-Za-z][A-Za-z0-9_]{0,31}")) {
                throw node.get("metric").error("'" + metric + "', expected a name such as FID or FD_DINOv2 (a "
                        + "letter, then up to 31 letters, digits or '_')");
            }
        }
        NetSpec spec = NetSpec.detector(node.without(Set.of("name", "metric", "reference", "reference_features")),
                store);
        String reference = node.get("reference").text();
        if (!reference.endsWith(".npz")) {
            throw node.get("reference").error("'" + reference + "', expected a .npz file of this detector's "
                    + "reference statistics (ref-stats, pytorch-fid, EDM or clean-fid)");
        }
        reference = SweepConfig.qualify(store, reference, node.get("reference"));
        String features = null;
        if (node.has("reference_features")) {
            if (!metrics) {
                throw node.get("reference_features").error("given without metrics, expected a metrics: key that "
                        + "uses it");
            }
            features = node.get("reference_features").text();
            if (!features.endsWith(".parquet")) {
                throw node.get("reference_features").error("'" + features + "', expected the .features.parquet of "
                        + "'ref-stats --keep'");
            }
            features = SweepConfig.qualify(store, features, node.get("reference_features"));
        } else if (metrics) {
            throw node.error("no reference_features, expected this detector's real features for the metrics "
                    + "stage ('ref-stats --keep N' writes X.features.parquet)");
        }
        return new DetectorSpec(name, spec, metric, reference, features, first ? "features" : "features_" + name);
    }
}
