package org.diffsweep.config;

import java.io.Serializable;
import java.util.Set;
import org.diffsweep.metrics.InceptionScore;

/**
 * What the metrics stage measures besides FID (docs/metrics.md), from the config's {@code metrics:} key:
 * <pre>
 *   metrics:
 *     seed: 0                                   # keys the KID subsets and the P&amp;R subsample
 *     kid: { subsets: 100, subset_size: 1000 }
 *     precision_recall: { k: 3, samples: 10000 }      # with density and coverage, from the same radii
 *     inception_score: { splits: 10, variant: torch-fidelity }   # or stylegan3, or adm (no splits)
 *   reference_features: path/to/X.features.parquet   # real features (ref-stats --keep); analytic models may omit
 * </pre>
 * Any measurement may be left out (then it is not measured); giving {@code kid: {}} takes its defaults.
 *
 * @param kidSubsets        KID subsets (0: no KID)
 * @param kidSubsetSize     rows per KID subset, from each set
 * @param k                 the k of the k-NN radii (0: no precision/recall)
 * @param samples           rows of each set precision and recall use at most (a seeded subsample)
 * @param seed              the seed of the subsets and the subsample
 * @param referenceFeatures the real features (a qualified path), or null: exact samples of the analytic model
 * @param isSplits          Inception Score splits (0: no IS; for {@code adm}, the splits follow from n)
 * @param isVariant         the Inception Score variant ({@link InceptionScore.Variant#id()}), or null: no IS
 */
public record MetricsSpec(int kidSubsets, int kidSubsetSize, int k, int samples, long seed, String referenceFeatures,
                          int isSplits, String isVariant) implements Serializable {

    /** Without the Inception Score. */
    public MetricsSpec(int kidSubsets, int kidSubsetSize, int k, int samples, long seed, String referenceFeatures) {
        this(kidSubsets, kidSubsetSize, k, samples, seed, referenceFeatures, 0, null);
    }

    public static final int DEFAULT_SUBSETS = 100;
    public static final int DEFAULT_SUBSET_SIZE = 1000;
    public static final int DEFAULT_K = 3;
    public static final int DEFAULT_SAMPLES = 10_000;

    public boolean kid() {
        return kidSubsets > 0;
    }

    public boolean precisionRecall() {
        return k > 0;
    }

    /** Whether the Inception Score is asked for (from per-sample class probabilities). */
    public boolean inceptionScore() {
        return isSplits > 0;
    }

    /** The Inception Score variant (null when not asked for). */
    public InceptionScore.Variant variant() {
        return isVariant == null ? null : InceptionScore.Variant.parse(isVariant);
    }

    /** What the stage's output depends on besides the features, for deciding whether it can be reused. */
    public String settings() {
        return "kid " + kidSubsets + "x" + kidSubsetSize + ", pr k=" + k + " samples=" + samples + ", seed " + seed
                + (!inceptionScore() ? "" : InceptionScore.Variant.ADM.id().equals(isVariant) ? ", is adm"
                        : ", is " + isVariant + " splits=" + isSplits);
    }

    /** The same measurements against other real features (another detector's). */
    public MetricsSpec withReferenceFeatures(String features) {
        return new MetricsSpec(kidSubsets, kidSubsetSize, k, samples, seed, features);
    }

    /** Parses the {@code metrics:} node; {@code features} is the qualified {@code reference_features} (or null). */
    static MetricsSpec parse(Node node, String features) {
        node.allowOnly(Set.of("kid", "precision_recall", "inception_score", "seed"));
        if (!node.has("kid") && !node.has("precision_recall") && !node.has("inception_score")) {
            throw node.error("none of kid, precision_recall, inception_score, expected at least one of them");
        }
        long seed = node.integer("seed", 0);
        int subsets = 0;
        int subsetSize = 0;
        if (node.has("kid")) {
            Node kid = node.get("kid");
            kid.allowOnly(Set.of("subsets", "subset_size"));
            long s = kid.integer("subsets", DEFAULT_SUBSETS);
            if (s < 1 || s > 100_000) {
                throw kid.get("subsets").error(s + ", expected 1 to 100000 subsets");
            }
            long m = kid.integer("subset_size", DEFAULT_SUBSET_SIZE);
            if (m < 2 || m > 1_000_000) {
                throw kid.get("subset_size").error(m + ", expected a subset size of 2 to 1000000");
            }
            subsets = (int) s;
            subsetSize = (int) m;
        }
        int k = 0;
        int samples = 0;
        if (node.has("precision_recall")) {
            Node pr = node.get("precision_recall");
            pr.allowOnly(Set.of("k", "samples"));
            long kk = pr.integer("k", DEFAULT_K);
            if (kk < 1 || kk > 1000) {
                throw pr.get("k").error(kk + ", expected 1 <= k <= 1000");
            }
            long n = pr.integer("samples", DEFAULT_SAMPLES);
            if (n <= kk || n > 1_000_000) {
                throw pr.get("samples").error(n + ", expected more samples than k = " + kk + " and at most 1000000");
            }
            k = (int) kk;
            samples = (int) n;
        }
        int isSplits = 0;
        String variant = null;
        if (node.has("inception_score")) {
            Node is = node.get("inception_score");
            is.allowOnly(Set.of("splits", "variant"));
            String v = is.text("variant", InceptionScore.Variant.TORCH_FIDELITY.id());
            try {
                variant = InceptionScore.Variant.parse(v).id();
            } catch (IllegalArgumentException e) {
                throw is.get("variant").error("'" + v + "', expected one of " + InceptionScore.Variant.names());
            }
            if (variant.equals(InceptionScore.Variant.ADM.id())) {
                if (is.has("splits")) {
                    throw is.get("splits").error("given with variant adm, expected no splits: adm cuts "
                            + "consecutive splits of " + InceptionScore.ADM_SPLIT_SIZE + " samples");
                }
                isSplits = InceptionScore.DEFAULT_SPLITS; // a marker: adm's count follows from n
            } else {
                long sp = is.integer("splits", InceptionScore.DEFAULT_SPLITS);
                if (sp < 1 || sp > 1000) {
                    throw is.get("splits").error(sp + ", expected 1 to 1000 splits");
                }
                isSplits = (int) sp;
            }
        }
        return new MetricsSpec(subsets, subsetSize, k, samples, seed, features, isSplits, variant);
    }
}
