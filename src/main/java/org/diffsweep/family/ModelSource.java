package org.diffsweep.family;

import org.diffsweep.model.GaussianMixture;
import org.diffsweep.model.Network;

/** What a config's model is, as a family needs it to build its own model in a task. */
public interface ModelSource {

    /** The analytic mixture, or null for a network. */
    GaussianMixture mixture();

    /**
     * The network's declared output ({@code denoiser}, {@code epsilon}, {@code v}, {@code sample},
     * {@code psld-epsilon}); null for a mixture.
     */
    String output();

    /** The declared time convention of an epsilon, v or sample network, or null. */
    String time();

    /** The type of its time tensor, {@code float32} or {@code int64} (a DDPM step index); float32 by default. */
    default String timeDtype() {
        return "float32";
    }

    /** How a class-conditional network takes its labels; null for an unconditional network or a mixture. */
    default org.diffsweep.model.LabelInput labels() {
        return null;
    }

    /** One sample's shape C, H, W; null for a mixture. */
    int[] shape();

    /** The model's identity in outputs. */
    String id();

    /**
     * The network, loaded once per executor, called with {@code channels} channels of the sample's H × W; a
     * class-conditional one ({@link #labels}) takes them as its third input.
     *
     * @param input  the name of its tensor input (ONNX binds by name)
     * @param scalar the name of its scalar input
     */
    Network network(int channels, String input, String scalar);
}
