package org.diffsweep.model;

import org.diffsweep.diffusion.ConditionalDenoiser;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.diffusion.EpsilonModel;
import org.diffsweep.diffusion.RawModel;

/**
 * A loaded network as one call: a float32 batch {@code [B, C, H, W]} and one scalar per sample (a noise level or a
 * time) in, a batch of the same layout out. Families wrap it into the model their samplers call; the two wrappings
 * of the EDM family are here ({@link #asDenoiser}, {@link #asEpsilonModel}).
 */
public interface Network {

    /** Values per sample, C·H·W. */
    int dim();

    String id();

    /**
     * @param x      {@code batch * dim()} values, row-major; rounded to float32 at the boundary
     * @param scalar the scalar input of every sample of the batch
     * @return the output, same layout, in float64
     */
    double[] call(double[] x, int batch, double scalar);

    /** How the network takes class labels, or null for an unconditional network. */
    default LabelInput labelInput() {
        return null;
    }

    /**
     * A class-conditional call: row r with class {@code labels[r]} ({@link ConditionalDenoiser#NULL}: the null label).
     *
     * @throws IllegalStateException for a network that takes no labels
     */
    default double[] call(double[] x, int batch, double scalar, int[] labels) {
        throw new IllegalStateException("network " + id() + " takes no class labels");
    }

    /** This network with one label per row: called on batches of exactly {@code labels.length} rows. */
    default Network withLabels(int[] labels) {
        return new Labelled(this, labels.clone());
    }

    /** A network bound to its rows' labels. */
    record Labelled(Network net, int[] labels) implements Network {
        @Override
        public int dim() {
            return net.dim();
        }

        @Override
        public String id() {
            return net.id();
        }

        @Override
        public double[] call(double[] x, int batch, double scalar) {
            if (batch != labels.length) {
                throw new IllegalArgumentException("network " + net.id() + ": a batch of " + batch + " rows for "
                        + labels.length + " labels, expected one label per row");
            }
            return net.call(x, batch, scalar, labels);
        }
    }

    /** This network as a denoiser D(x̂; σ): its scalar input is the noise level σ. */
    default Denoiser asDenoiser() {
        return new AsDenoiser(this);
    }

    /** A class-conditional denoiser network ({@link #labelInput} not null) as the core's conditional model. */
    default ConditionalDenoiser asConditionalDenoiser() {
        LabelInput in = labelInput();
        if (in == null) {
            throw new IllegalStateException("network " + id() + " takes no class labels");
        }
        return ConditionalDenoiser.of(dim(), id(), in.count(), in.hasNull(), labels -> withLabels(labels).asDenoiser());
    }

    /** This network as an ε-prediction model: its scalar input is the model's own time. */
    default EpsilonModel asEpsilonModel() {
        return new AsEpsilonModel(this);
    }

    /** This network as a raw ε-, v- or x₀-prediction model: its scalar input is the model's own time. */
    default RawModel asRawModel() {
        return new AsRawModel(this);
    }

    /** A network called with the model's time, predicting what its declared output says. */
    record AsRawModel(Network net) implements RawModel {
        @Override
        public int dim() {
            return net.dim();
        }

        @Override
        public String id() {
            return net.id();
        }

        @Override
        public double[] predict(double[] x, int batch, double modelTime) {
            return net.call(x, batch, modelTime);
        }
    }

    /** A network called with σ. */
    record AsDenoiser(Network net) implements Denoiser {
        @Override
        public int dim() {
            return net.dim();
        }

        @Override
        public String id() {
            return net.id();
        }

        @Override
        public double[] denoise(double[] x, int batch, double sigma) {
            return net.call(x, batch, sigma);
        }
    }

    /** A network called with the model's time. */
    record AsEpsilonModel(Network net) implements EpsilonModel {
        @Override
        public int dim() {
            return net.dim();
        }

        @Override
        public String id() {
            return net.id();
        }

        @Override
        public double[] epsilon(double[] x, int batch, double modelTime) {
            return net.call(x, batch, modelTime);
        }
    }
}
