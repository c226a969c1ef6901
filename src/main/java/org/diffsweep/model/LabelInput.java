package org.diffsweep.model;

import java.io.Serializable;

/**
 * How a class-conditional network takes its labels (a model's {@code labels:} key): {@code count} classes, encoded
 * as EDM's networks take them ({@link Encoding#ONE_HOT}: float32 [B, K], row r one-hot at its class) or as
 * diffusers' do ({@link Encoding#INDEX}: int64 [B], the class index). The null label of classifier-free guidance
 * is an all-zero row (one-hot) or the declared index {@code nullIndex}; {@code nullIndex} is −1 when the network
 * declares none (then only a guide network can give the unconditional branch).
 *
 * @param count     K, labels 0..K−1
 * @param encoding  one-hot or index
 * @param nullIndex the null label's index (index encoding), or −1: none; for one-hot, 0 means the all-zero row and
 *                  −1 none
 */
public record LabelInput(int count, Encoding encoding, int nullIndex) implements Serializable {

    /** The two encodings, as configs name them. */
    public enum Encoding {
        ONE_HOT("one_hot"), INDEX("index");

        private final String key;

        Encoding(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public LabelInput {
        if (count < 1) {
            throw new IllegalArgumentException("labels.count " + count + ", expected >= 1");
        }
    }

    /** Whether the null label is declared. */
    public boolean hasNull() {
        return nullIndex >= 0;
    }

    /** The encoded labels of a batch: one-hot float rows (K each) or int64 indices. */
    public float[] oneHot(int[] labels) {
        float[] out = new float[labels.length * count];
        for (int r = 0; r < labels.length; r++) {
            int c = labels[r];
            if (c == org.diffsweep.diffusion.ConditionalDenoiser.NULL) {
                requireNull();
                continue;
            }
            requireClass(c);
            out[r * count + c] = 1;
        }
        return out;
    }

    /** The labels as int64 indices, the null label as its declared index. */
    public long[] indices(int[] labels) {
        long[] out = new long[labels.length];
        for (int r = 0; r < labels.length; r++) {
            int c = labels[r];
            if (c == org.diffsweep.diffusion.ConditionalDenoiser.NULL) {
                requireNull();
                out[r] = nullIndex;
            } else {
                requireClass(c);
                out[r] = c;
            }
        }
        return out;
    }

    private void requireNull() {
        if (!hasNull()) {
            throw new IllegalArgumentException("the model declares no null label (labels.null_label), expected one "
                    + "for the unconditional branch");
        }
    }

    private void requireClass(int c) {
        if (c < 0 || c >= count) {
            throw new IllegalArgumentException("label " + c + ", expected 0.." + (count - 1) + " (labels.count "
                    + count + ")");
        }
    }

    /** How outputs describe it, e.g. {@code one_hot float32 [B, 10]}. */
    public String describe() {
        return encoding == Encoding.ONE_HOT ? "one_hot float32 [B, " + count + "]" : "index int64 [B] of " + count
                + " classes";
    }
}
