package org.diffsweep.psld;

import org.diffsweep.model.Network;

/** A PSLD network {@code (z[B, 2C, H, W], t[B]) -> ε[B, 2C, H, W]} as a {@link PsldModel}. */
record PsldNetwork(Network net) implements PsldModel {

    @Override
    public int dim() {
        return net.dim() / 2;
    }

    @Override
    public String id() {
        return net.id();
    }

    @Override
    public double[] epsilon(double[] z, int batch, double t) {
        return net.call(z, batch, t);
    }
}
