package org.diffsweep.psld;

import java.util.List;
import java.util.Map;
import org.diffsweep.family.Cell;
import org.diffsweep.family.Family;
import org.diffsweep.family.ModelSource;
import org.diffsweep.sampler.Options;
import org.diffsweep.diffusion.SampleModel;
import org.diffsweep.model.GaussianMixture;

/**
 * The PSLD family (docs/psld.md): state z = (x, m), time is reverse time τ, models are 2C-channel ε networks
 * ({@code output: psld-epsilon}) or the exact oracle of a Gaussian mixture; the sample is x.
 */
public final class PsldFamily implements Family {

    private static final long serialVersionUID = 1L;

    public static final String PROCESS = "psld";
    static final String SAMPLERS = "euler-maruyama, sscs, pf-euler, splitting (scheme: OBA, BAO, OBAB, BAOAB, ...; "
            + "variant: naive or reduced; lambda_s)";

    private final PsldProcess process;

    public PsldFamily(PsldProcess process) {
        this.process = process;
    }

    /** The process of a config's {@code process: {name: psld, ...}}: the model's constants, none defaulted. */
    public static PsldFamily parse(Options o) {
        PsldProcess p = new PsldProcess(o.required("beta_min", "β(0), e.g. 8 (a model's constant, no default)"),
                o.required("beta_max", "β(1), e.g. 8 (a model's constant, no default)"),
                o.required("gamma", "Γ, e.g. 0.02 (a model's constant, no default)"),
                o.required("nu", "ν, e.g. 4.02 (a model's constant, no default)"),
                o.required("kappa", "κ, e.g. 0.04 (a model's constant, no default)"),
                o.number("eps", 1e-3));
        o.requireAllUsed();
        return new PsldFamily(p);
    }

    public PsldProcess processObject() {
        return process;
    }

    @Override
    public String name() {
        return PROCESS;
    }

    @Override
    public String process() {
        return process.toString();
    }

    @Override
    public List<String> outputs() {
        return List.of("psld-epsilon");
    }

    @Override
    public SampleModel model(ModelSource source) {
        if (source.mixture() != null) {
            return new PsldOracle(source.mixture(), process);
        }
        if (!outputs().contains(source.output())) {
            throw new IllegalArgumentException("model " + source.id() + ": output '" + source.output()
                    + "' does not fit process psld, expected output: psld-epsilon");
        }
        return new PsldNetwork(source.network(2 * source.shape()[0], "z", "t"));
    }

    @Override
    public void probe(SampleModel model) {
        PsldModel m = (PsldModel) model;
        int b = Family.PROBE_BATCH;
        double[] z = Family.probeInput(b * 2 * m.dim(), 1);
        double[] out;
        try {
            out = m.epsilon(z, b, 0.5);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model " + m.id() + " is not a PSLD network for process psld: a "
                    + "forward pass on z with 2C channels (x and m stacked) failed, expected (z[B, 2C, H, W], t[B]) "
                    + "-> eps[B, 2C, H, W] (" + Family.probeFailure(e, b, () -> m.epsilon(
                    java.util.Arrays.copyOf(z, 2 * m.dim()), 1, 0.5)) + ")");
        }
        if (out.length != b * 2 * m.dim()) {
            throw new IllegalArgumentException("model " + m.id() + ": returned " + out.length + " values for " + b
                    + " z, expected " + b * 2 * m.dim() + " (2C channels)");
        }
        Family.requireFinite(m.id(), out, b, "t = 0.5");
        int row = 2 * m.dim();
        Family.requireRowsAsAlone(m.id(), out, b, r -> m.epsilon(java.util.Arrays.copyOfRange(z, r * row,
                (r + 1) * row), 1, 0.5), "t = 0.5");
    }

    @Override
    public Part sampler(String name, Map<String, Object> options, GaussianMixture analytic) {
        Options o = new Options("sampler " + name, options);
        PsldSampler s = switch (name) {
            case "euler-maruyama" -> new PsldEulerMaruyama(process);
            case "sscs" -> new Sscs(process);
            case "pf-euler" -> new ProbabilityFlowEuler(process);
            case "splitting" -> {
                String variant = o.text("variant", "reduced");
                if (!variant.equals("naive") && !variant.equals("reduced")) {
                    throw new IllegalArgumentException("splitting: variant = '" + variant
                            + "', expected naive or reduced");
                }
                String scheme = o.text("scheme", null);
                if (scheme == null) {
                    throw new IllegalArgumentException("splitting: scheme missing, expected a composition such as "
                            + "OBA, BAO, OBAB or BAOAB");
                }
                yield new Splitting(process, scheme, variant.equals("reduced"), o.number("lambda_s", 1));
            }
            default -> throw new IllegalArgumentException("unknown sampler '" + name + "' for process psld, "
                    + "expected one of: " + SAMPLERS);
        };
        o.requireAllUsed();
        return new Part(s.describe(), s);
    }

    @Override
    public Part grid(String name, Map<String, Object> options) {
        Options o = new Options("grid " + name, options);
        ReverseGrid g = new ReverseGrid(name, process.eps());
        o.requireAllUsed();
        return new Part(g.describe(), g);
    }

    @Override
    public Cell cell(Part sampler, Part grid, int nfeRequested) {
        PsldSampler s = (PsldSampler) sampler.value();
        return new PsldCell(process, s, (ReverseGrid) grid.value(), nfeRequested, s.stepsForNfe(nfeRequested));
    }

}
