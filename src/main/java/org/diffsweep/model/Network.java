package org.diffsweep.model;

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

    /** This network as a denoiser D(x̂; σ): its scalar input is the noise level σ. */
    default Denoiser asDenoiser() {
        return new AsDenoiser(this);
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
