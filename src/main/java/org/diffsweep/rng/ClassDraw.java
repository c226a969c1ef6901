package org.diffsweep.rng;

import java.util.Arrays;
import org.apache.commons.rng.UniformRandomProvider;

/**
 * How each seed's class label is chosen: uniformly from a list of classes, drawn from the seed's own label stream
 * ({@link SeedStream#LABELS}), keyed by the seed alone. Every config of a sweep therefore sees the same (latent,
 * label) pair for a seed, and a seed's label does not depend on its batch or on which other streams it uses.
 *
 * <p>The three modes of a config are one rule: {@code uniform} over K classes draws from 0..K−1, a fixed class
 * from a list of one (the stream is still keyed, but every draw is that class), and a list draws from its entries
 * (an entry listed twice is twice as likely).
 *
 * <p>A cycle ({@code labels: {cycle: [...]}}) draws nothing: seed s takes entry s mod n of its list of n, so seeds
 * 0, 1, 2, … take the entries in order and any n consecutive seeds take each entry once (a label list per seed,
 * and balanced classes). It too is a function of the seed alone.
 *
 * @param classes the classes to draw from, in the config's order; not empty, each ≥ 0
 * @param cycle   whether seed s takes entry s mod n instead of a draw from the label stream
 */
public record ClassDraw(int[] classes, boolean cycle) implements java.io.Serializable {

    /** A draw from the label stream. */
    public ClassDraw(int[] classes) {
        this(classes, false);
    }

    /** Seed s takes entry s mod n. */
    public static ClassDraw cycle(int[] classes) {
        return new ClassDraw(classes, true);
    }

    public ClassDraw {
        if (classes.length == 0) {
            throw new IllegalArgumentException("labels: no classes, expected at least one");
        }
        for (int c : classes) {
            if (c < 0) {
                throw new IllegalArgumentException("labels: class " + c + ", expected >= 0");
            }
        }
        classes = classes.clone();
    }

    /** Uniform over 0..K−1. */
    public static ClassDraw uniform(int k) {
        int[] all = new int[k];
        for (int i = 0; i < k; i++) {
            all[i] = i;
        }
        return new ClassDraw(all);
    }

    /** The label of one seed: entry {@code nextInt(n)} of the list, from the seed's label stream (a cycle: s mod n). */
    public int label(long seed) {
        if (cycle) {
            return classes[(int) Math.floorMod(seed, (long) classes.length)];
        }
        if (classes.length == 1) {
            return classes[0];
        }
        UniformRandomProvider rng = SeedStream.generator(seed, SeedStream.LABELS);
        return classes[rng.nextInt(classes.length)];
    }

    /** The labels of a batch of seeds, row by row. */
    public int[] labels(long[] seeds) {
        int[] out = new int[seeds.length];
        for (int r = 0; r < seeds.length; r++) {
            out[r] = label(seeds[r]);
        }
        return out;
    }

    /**
     * The probability of each class 0..k−1 under this draw (list multiplicity over list length; for a cycle, the
     * share of each class over any n consecutive seeds).
     */
    public double[] probabilities(int k) {
        double[] p = new double[k];
        for (int c : classes) {
            p[c] += 1.0 / classes.length;
        }
        return p;
    }

    /** The largest class this draw can give. */
    public int maxClass() {
        return Arrays.stream(classes).max().orElseThrow();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassDraw d && cycle == d.cycle && Arrays.equals(classes, d.classes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(classes) + (cycle ? 1 : 0);
    }

    /** {@code [0, 3, 7]} for a draw, {@code cycle[3, 7]} for a cycle (the features' metadata). */
    @Override
    public String toString() {
        return (cycle ? "cycle" : "") + Arrays.toString(classes);
    }
}
