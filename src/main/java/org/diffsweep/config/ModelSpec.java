package org.diffsweep.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.List;
import java.util.Set;
import org.diffsweep.model.GaussianMixture;
import org.diffsweep.model.LabelInput;
import org.diffsweep.model.ModelKind;

/**
 * The model a sweep runs, as its config describes it. It is shipped to executors as this small description
 * (never as weights); each executor JVM builds the model once from it.
 *
 * @param type     model type: {@code gmm}, or {@code djl} (TorchScript {@code .pt} or ONNX {@code .onnx})
 * @param json     the config's model mapping, canonical JSON, which is also the model cache key
 * @param mixture  the mixture, for {@code gmm}
 * @param net      the network, for {@code djl}
 * @param labels   how a class-conditional network takes its labels ({@code labels:} key), else null
 */
public record ModelSpec(String type, String json, GaussianMixture mixture, NetSpec net, LabelInput labels)
        implements ModelKind, Serializable {

    public ModelSpec(String type, String json, GaussianMixture mixture, NetSpec net) {
        this(type, json, mixture, net, null);
    }

    static ModelSpec parse(Node node, org.diffsweep.io.Store store) {
        String type = node.get("type").text();
        if (type.equals("djl")) {
            // The identity (json) keeps the path as written; the network's path is the qualified one.
            NetSpec net = NetSpec.model(node, store);
            LabelInput labels = node.has("labels") ? labelInput(node.get("labels")) : null;
            if (labels != null && net.signature().equals("psld-epsilon")) {
                throw node.get("labels").error("class labels are for denoiser and epsilon models, found output "
                        + "psld-epsilon");
            }
            return new ModelSpec(type, canonical(node.json()), null, net, labels);
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
                r.allowOnly(Set.of("components", "dim", "sigma_data", "seed", "classes"));
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
                if (r.has("classes")) {
                    long classes = r.get("classes").integer();
                    if (classes < 1 || classes > k) {
                        throw r.get("classes").error(classes + ", expected 1 to " + k + " (the components; component "
                                + "i is in class i mod classes)");
                    }
                    int[] of = new int[(int) k];
                    for (int i = 0; i < k; i++) {
                        of[i] = (int) (i % classes);
                    }
                    mixture = mixture.withClasses(of);
                }
            } else {
                List<Node> comps = node.get("components").nonEmptyList();
                double[] weights = new double[comps.size()];
                double[][] means = new double[comps.size()][];
                double[][] variances = new double[comps.size()][];
                int[] classes = comps.get(0).has("class") ? new int[comps.size()] : null;
                for (int i = 0; i < comps.size(); i++) {
                    Node c = comps.get(i);
                    c.allowOnly(Set.of("weight", "mean", "variance", "class"));
                    weights[i] = c.number("weight", 1.0);
                    means[i] = c.get("mean").numbers();
                    variances[i] = c.get("variance").numbers();
                    if (c.has("class") != (classes != null)) {
                        throw c.error("'class' on " + (classes != null ? "component 0 but not here" : "this component "
                                + "but not on component 0") + ", expected a class on every component or on none");
                    }
                    if (classes != null) {
                        long cl = c.get("class").integer();
                        if (cl < 0 || cl >= comps.size()) {
                            throw c.get("class").error(cl + ", expected 0 to " + (comps.size() - 1));
                        }
                        classes[i] = (int) cl;
                    }
                }
                mixture = new GaussianMixture(weights, means, variances, classes);
            }
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
        return new ModelSpec(type, canonical(node.json()), mixture, null);
    }

    /**
     * A network's {@code labels: {count, encoding, null_label}}: K classes, {@code one_hot} (default; float32 [B, K],
     * EDM) or {@code index} (int64 [B], diffusers), and the null label of classifier-free guidance: {@code zeros} (the
     * all-zero one-hot row, one_hot's default), a class index (index encoding; e.g. K), or {@code none}.
     */
    private static LabelInput labelInput(Node n) {
        n.allowOnly(Set.of("count", "encoding", "null_label"));
        long count = n.get("count").integer();
        if (count < 1 || count > 1_000_000) {
            throw n.get("count").error(count + ", expected 1 to 1000000 classes");
        }
        String enc = n.text("encoding", "one_hot");
        LabelInput.Encoding encoding = switch (enc) {
            case "one_hot" -> LabelInput.Encoding.ONE_HOT;
            case "index" -> LabelInput.Encoding.INDEX;
            default -> throw n.get("encoding").error("'" + enc + "', expected one_hot (float [B, K], as EDM) or "
                    + "index (int64 [B], as diffusers)");
        };
        int nullIndex;
        String nul = n.has("null_label") ? n.get("null_label").json().asText() : null;
        if (nul == null) {
            nullIndex = encoding == LabelInput.Encoding.ONE_HOT ? 0 : -1;
        } else if (nul.equals("none")) {
            nullIndex = -1;
        } else if (nul.equals("zeros")) {
            if (encoding != LabelInput.Encoding.ONE_HOT) {
                throw n.get("null_label").error("'zeros' is a one_hot null label, expected a class index or none "
                        + "for encoding index");
            }
            nullIndex = 0;
        } else {
            if (encoding != LabelInput.Encoding.INDEX) {
                throw n.get("null_label").error("'" + nul + "', expected zeros or none for encoding one_hot");
            }
            long v = n.get("null_label").integer();
            if (v < 0 || v > Integer.MAX_VALUE - 1) {
                throw n.get("null_label").error(v + ", expected a class index >= 0, or none");
            }
            nullIndex = (int) v;
        }
        return new LabelInput((int) count, encoding, nullIndex);
    }

    /** K, the classes a model takes: its label input's, or its mixture's; 0 for an unconditional model. */
    public int classes() {
        if (labels != null) {
            return labels.count();
        }
        return mixture != null ? mixture.classes() : 0;
    }

    /** Whether the model has a null label (an exact mixture always has: its whole distribution). */
    public boolean hasNullLabel() {
        return labels != null ? labels.hasNull() : mixture != null && mixture.classes() > 0;
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
        return net == null ? this : new ModelSpec(type, json, mixture, net.resolve(hasher), labels);
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
