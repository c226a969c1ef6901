package org.diffsweep.diffusion;

/**
 * A class-conditional model as the samplers' guidance sees it: bound to one class label per row, it is a
 * {@link Denoiser} D(x̂; σ, c). Row r of a batch is denoised with {@code labels[r]}; {@link #NULL} asks for the
 * unconditional branch D(x̂; σ) (a network's null label, or an exact model's whole distribution).
 */
public interface ConditionalDenoiser extends SampleModel {

    /** The label of the unconditional branch. */
    int NULL = -1;

    /** K: labels are 0..K−1. */
    int classes();

    /** Whether {@link #NULL} is a label this model takes (a declared null label, or an exact model). */
    boolean hasNull();

    /**
     * This model with one label per row: a denoiser that must be called on batches of exactly
     * {@code labels.length} rows.
     */
    Denoiser given(int[] labels);

    /**
     * A conditional model from how it binds labels ({@code given}), e.g. a labelled network wrapped by a family.
     *
     * @param hasNull whether the null label is one it takes
     */
    static ConditionalDenoiser of(int dim, String id, int classes, boolean hasNull,
                                  java.util.function.Function<int[], Denoiser> given) {
        return new ConditionalDenoiser() {
            @Override
            public int dim() {
                return dim;
            }

            @Override
            public String id() {
                return id;
            }

            @Override
            public int classes() {
                return classes;
            }

            @Override
            public boolean hasNull() {
                return hasNull;
            }

            @Override
            public Denoiser given(int[] labels) {
                return given.apply(labels.clone());
            }
        };
    }

    /** {@code n} copies of {@link #NULL}. */
    static int[] nulls(int n) {
        int[] out = new int[n];
        java.util.Arrays.fill(out, NULL);
        return out;
    }
}
