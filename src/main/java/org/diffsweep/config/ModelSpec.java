package org.diffsweep.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.List;
import java.util.Set;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.model.ModelKind;

/**
 * The model a sweep runs, as its config describes it. It is shipped to executors as this small description
 * (never as weights); each executor JVM builds the model once from it.
 *
 * @param type     model type: {@code gmm}, or {@code djl} (TorchScript {@code .pt} or ONNX {@code .onnx})
 * @param json     the config's model mapping, canonical JSON, which is also the model cache key
 * @param mixture  the mixture, for {@code gmm}
 * @param net      the network, for {@code djl}
 */
public record ModelSpec(String type, String json, GaussianMixture mixture, NetSpec net)
        implements ModelKind, Serializable {

    static ModelSpec parse(Node node, org.diffsweep.io.Store store) {
        String type = node.get("type").text();
        if (type.equals("djl")) {
            // The identity (json) keeps the path as written; the network's path is the qualified one.
            return new ModelSpec(type, canonical(node.json()), null, NetSpec.model(node, store));
        }
        if (!type.equals("gmm")) {
            throw node.get("type").error("'" + type + "', expected gmm or djl");
        }
        node.allowOnly(Set.of("type", "random", "components"));
        GaussianMixture mixture;
        if (node.has("random") == node.has("components")) {
            throw node.error("a gmm model needs exactly one of 'random' or 'components'");
        }
        try {
            if (node.has("random")) {
                Node r = node.get("random");
                r.allowOnly(Set.of("components", "dim", "sigma_data", "seed"));
                long k = r.get("components").integer();
                long dim = r.get("dim").integer();
                if (k < 1 || k > 10_000) {
                    throw r.get("components").error(k + ", expected 1 to 10000 components");
                }
                if (dim < 1 || dim > 1_000_000) {
                    throw r.get("dim").error(dim + ", expected 1 to 1000000 dimensions");
                }
                double sigmaData = r.number("sigma_data", 0.5);
                if (!(sigmaData > 0)) {
                    throw r.get("sigma_data").error(sigmaData + ", expected > 0");
                }
                mixture = GaussianMixture.random((int) k, (int) dim, sigmaData, r.integer("seed", 0));
            } else {
                List<Node> comps = node.get("components").nonEmptyList();
                double[] weights = new double[comps.size()];
                double[][] means = new double[comps.size()][];
                double[][] variances = new double[comps.size()][];
                for (int i = 0; i < comps.size(); i++) {
                    Node c = comps.get(i);
                    c.allowOnly(Set.of("weight", "mean", "variance"));
                    weights[i] = c.number("weight", 1.0);
                    means[i] = c.get("mean").numbers();
                    variances[i] = c.get("variance").numbers();
                }
                mixture = new GaussianMixture(weights, means, variances);
            }
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
        return new ModelSpec(type, canonical(node.json()), mixture, null);
    }

    /** Whether the model has exact marginals, so that FID can use its exact statistics. */
    public boolean analytic() {
        return mixture != null;
    }

    /** The model's identity in outputs. */
    public String id() {
        return mixture != null ? mixture.id() : net.id();
    }

    /** The same model with its network's hash resolved. */
    public ModelSpec resolve(java.util.function.UnaryOperator<String> hasher) {
        return net == null ? this : new ModelSpec(type, json, mixture, net.resolve(hasher));
    }

    /** Samples' shape C, H, W, or null for models whose samples are plain vectors. */
    public int[] imageShape() {
        return net == null ? null : net.shape().clone();
    }

    private static String canonical(JsonNode json) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
            m.configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
            return m.writeValueAsString(m.treeToValue(json, Object.class));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
