package org.diffsweep.family;

import org.diffsweep.diffusion.SampleModel;

/**
 * What a batch is conditioned on: each row's class label (null for an unconditional sweep), the config's guidance
 * scale w (null: unguided) and the guide network that gives the other branch (null: the model's own null label).
 */
public record Conditioning(int[] labels, Double guidance, SampleModel guide) {

    /** An unconditional, unguided batch. */
    public static final Conditioning NONE = new Conditioning(null, null, null);

    public boolean isNone() {
        return labels == null && guidance == null && guide == null;
    }
}
