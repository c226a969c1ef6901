package org.diffsweep.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.diffsweep.config.ConfigException;
import org.diffsweep.config.SweepConfig;
import org.diffsweep.config.SweepPoint;
import org.diffsweep.diffusion.Denoiser;
import org.diffsweep.model.Models;
import org.diffsweep.report.NfeTable;
import org.diffsweep.report.Table;
import org.diffsweep.report.Plots;
import org.diffsweep.rng.BatchNoise;
import org.diffsweep.sampler.ReferenceSolver;
import org.diffsweep.spark.CodeVersion;
import org.diffsweep.spark.Manifest;

/**
 * The {@code oracle} command: for an analytic model, the integration error of every ODE sampler of a config
 * against a high-accuracy solution of the same ODE from the same latents, per NFE. The error is the
 * root-mean-square over seeds and coordinates of x̂_sampler − x̂_reference at σ = 0, so it shows a sampler's
 * error apart from any network's. Writes {@code OUT/oracle/oracle.{csv,md,png}}; runs on the driver alone.
 */
public final class OracleJob {

    private OracleJob() {
    }

    /** One cell: a config and its error (NaN for stochastic samplers). */
    public record Entry(SweepPoint point, double rmsError) {
    }

    /**
     * @param seeds     how many of the config's seeds to use (from its first)
     * @param tolerance the reference integrator's tolerance
     */
    public static List<Entry> run(SweepConfig config, int seeds, double tolerance, Configuration conf)
            throws IOException {
        return run(config, seeds, tolerance, conf, null);
    }

    /**
     * @param dump if not null, a local JSON file that receives the mixture, the seeds, and per config the σ grid,
     *             the latents, the samples and the reference solution, in float64, for comparing samplers with
     *             other implementations on exactly the same inputs; {@code unit_latents} are the N(0, I) draws
     *             before scaling by σ_0, for samplers (like EDM's) that take unit latents and scale them themselves
     */
    public static List<Entry> run(SweepConfig config, int seeds, double tolerance, Configuration conf,
                                  java.nio.file.Path dump) throws IOException {
        if (!config.model().analytic()) {
            throw new ConfigException("oracle: model type " + config.model().type()
                    + " has no exact denoiser, expected an analytic model (gmm)");
        }
        config.requireStatisticsMade();
        org.diffsweep.family.EdmFamily edm = config.edmFamily("oracle");
        long t0 = System.nanoTime();
        Denoiser model = Models.build(config.model());
        // A conditional mixture is sampled given each seed's label, a guided config on its guided ODE (the exact
        // D_c and D_u of the mixture, D = D_u + w·(D_c − D_u)): the reference solves the same ODE.
        org.diffsweep.diffusion.SampleModel exact = config.model().mixture();
        int batch = (int) Math.min(seeds, config.seedCount());
        long[] seedList = new long[batch];
        for (int i = 0; i < batch; i++) {
            seedList[i] = config.seedStart() + i;
        }
        int dim = model.dim();
        double[] unitLatents = BatchNoise.latents(seedList, dim, 1.0);
        Map<String, double[]> references = new HashMap<>();
        int[] labels = config.labelsOf(seedList);
        List<Entry> entries = new ArrayList<>();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode trace = json.createObjectNode();
        if (dump != null) {
            com.fasterxml.jackson.databind.node.ObjectNode m = trace.putObject("mixture");
            m.set("weights", json.valueToTree(config.model().mixture().weights()));
            m.set("means", json.valueToTree(config.model().mixture().means()));
            m.set("variances", json.valueToTree(config.model().mixture().variances()));
            trace.set("seeds", json.valueToTree(seedList));
            if (labels != null) {
                trace.set("labels", json.valueToTree(labels));
                trace.set("classes", json.valueToTree(config.model().mixture().componentClasses()));
            }
            trace.put("dim", dim);
            trace.set("unit_latents", json.valueToTree(unitLatents));
            trace.put("process", edm.processObject().name());
            trace.put("process_parameters", config.family().process());
            trace.put("code_version", CodeVersion.get());
        }
        com.fasterxml.jackson.databind.node.ArrayNode traced = trace.putArray("configs");
        for (SweepPoint p : config.points()) {
            if (p.cell().stochastic()) {
                entries.add(new Entry(p, Double.NaN));
                continue;
            }
            double[] sigmas = p.levels();
            double[] x0 = scaled(unitLatents, sigmas[0]);
            org.diffsweep.family.Conditioning given = new org.diffsweep.family.Conditioning(labels, p.guidance(), null);
            Denoiser ode = edm.denoiser(exact, given);
            double[] reference = references.computeIfAbsent(sigmas[0] + "|" + p.guidance(), key -> {
                System.out.printf("oracle %s: reference solution from sigma %.4g%s (%d seeds)%n", config.name(),
                        sigmas[0], p.guidance() == null ? "" : ", guidance " + SweepPoint.scale(p.guidance()), batch);
                return ReferenceSolver.solve(edm.denoiser(exact, given), x0, batch, sigmas[0], 0, tolerance);
            });
            double[] out = org.diffsweep.family.EdmFamily.cell(p.cell()).samplerObject().sample(ode, sigmas, x0,
                    BatchNoise.samplerNoise(seedList, dim));
            if (dump != null) {
                com.fasterxml.jackson.databind.node.ObjectNode c = traced.addObject();
                c.put("config_id", p.id());
                c.put("sampler", p.sampler());
                c.put("grid", p.grid());
                c.put("nfe", p.nfe());
                if (p.guidance() != null) {
                    c.put("guidance", p.guidance());
                }
                c.set("sigmas", json.valueToTree(sigmas));
                c.set("latents", json.valueToTree(x0));
                c.set("samples", json.valueToTree(out));
                c.set("reference", json.valueToTree(reference));
            }
            double sum = 0;
            for (int i = 0; i < out.length; i++) {
                double d = out[i] - reference[i];
                sum += d * d;
            }
            entries.add(new Entry(p, Math.sqrt(sum / out.length)));
        }
        if (dump != null) {
            json.writeValue(dump.toFile(), trace);
        }
        Path dir = new Path(config.output(), "oracle");
        FileSystem fs = dir.getFileSystem(conf);
        fs.mkdirs(dir);
        String md = markdown(config, entries, batch, tolerance);
        Manifest.writeAtomically(fs, new Path(dir, "oracle.md"), md);
        Table table = table(config, entries, batch, tolerance);
        Manifest.writeAtomically(fs, new Path(dir, "oracle.csv"), table.toCsv());
        Manifest.writeAtomically(fs, new Path(dir, "oracle.html"), table.toHtml());
        try (OutputStream png = fs.create(new Path(dir, "oracle.png"), true)) {
            Plots.lines("Integration error against the exact ODE solution: " + config.name(), "NFE",
                    "RMS error at sigma = 0", series(entries), FidJob.styles(config), true, true, png);
        }
        System.out.println();
        System.out.print(md);
        System.out.printf("%noracle %s: written to %s (%.1f s)%n", config.name(), dir, (System.nanoTime() - t0) / 1e9);
        return entries;
    }

    private static double[] scaled(double[] x, double factor) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * factor;
        }
        return out;
    }

    private static String label(SweepPoint p) {
        return p.sampler() + " | " + p.grid();
    }

    private static Map<String, double[][]> series(List<Entry> entries) {
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (!Double.isNaN(e.rmsError())) {
                points.computeIfAbsent(e.point().label(), k -> new ArrayList<>())
                        .add(new double[] {e.point().nfe(), e.rmsError()});
            }
        }
        Map<String, double[][]> out = new LinkedHashMap<>();
        points.forEach((k, v) -> out.put(k, new double[][] {
                v.stream().mapToDouble(a -> a[0]).toArray(), v.stream().mapToDouble(a -> a[1]).toArray()}));
        return out;
    }

    /** What oracle.csv states: the reference is the ODE's accurate solution from the same latents. */
    static Table.Provenance provenance(SweepConfig config, int seeds, double tolerance) {
        return new Table.Provenance(config.model().id(), "none (errors in sample space)",
                String.format(Locale.ROOT, "exact ODE solution (Dormand-Prince 8(5,3), tolerance %.0e)", tolerance),
                "none", Integer.toString(seeds), seeds, Table.Provenance.seeds(config.seedStart(), seeds),
                CodeVersion.get());
    }

    /**
     * oracle.csv: its 7 columns as before (rms_error as %.6e, empty for stochastic samplers), n (the seeds, the
     * same latents for every config) added after them.
     */
    static Table table(SweepConfig config, List<Entry> entries, int seeds, double tolerance) {
        Table t = new Table("Integration error: " + config.name(), provenance(config, seeds, tolerance), Table.configColumns(
                Table.Column.real("rms_error", "%.6e", "RMS over seeds and coordinates of the sample minus the exact "
                        + "ODE solution at sigma = 0 (empty: stochastic sampler)"),
                Table.Column.count("n", "seeds (the same latents for every config)")));
        for (Entry e : entries) {
            SweepPoint p = e.point();
            t.add(p.id(), p.sampler(), p.grid(), p.nfeRequested(), p.steps(), p.nfe(),
                    Double.isNaN(e.rmsError()) ? null : e.rmsError(), (long) seeds);
        }
        return t;
    }

    static String markdown(SweepConfig config, List<Entry> entries, int seeds, double tolerance) {
        NfeTable errors = new NfeTable("sampler", "grid");
        for (Entry e : entries) {
            SweepPoint p = e.point();
            errors.put(label(p), p.nfeRequested(), Double.isNaN(e.rmsError()) ? "stochastic"
                    : String.format(Locale.ROOT, "%.3e", e.rmsError())
                    + (p.nfe() != p.nfeRequested() ? " (" + p.nfe() + ")" : ""));
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# Integration error: ").append(config.name()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "model %s, %d seeds from %d, RMS over seeds and coordinates of the "
                + "sample minus the reference ODE solution (Dormand-Prince 8(5,3), tolerance %.0e) at sigma = 0, %s%n%n",
                config.model().id(), seeds, config.seedStart(), tolerance, CodeVersion.get()));
        sb.append(String.format(Locale.ROOT, "n_generated %d, n_reference %d (the reference solutions from the same "
                + "latents), detector none (errors in sample space)%n%n", seeds, seeds));
        sb.append(errors.markdown());
        if (!config.comparisons().isEmpty()) {
            Map<String, Entry> byId = new LinkedHashMap<>();
            entries.forEach(e -> byId.put(e.point().id(), e));
            NfeTable ratios = new NfeTable("comparison");
            for (org.diffsweep.config.Comparison c : config.comparisons()) {
                double r = byId.get(c.candidateId()).rmsError() / byId.get(c.baselineId()).rmsError();
                ratios.put(c.name(), c.nfeRequested(), Double.isNaN(r) ? "" : String.format(Locale.ROOT, "%.3g", r));
            }
            sb.append("\n## Error ratios (candidate / baseline, same latents)\n\n").append(ratios.markdown(errors.nfes()));
            sb.append("\nBelow 1: the candidate is closer to the exact ODE solution.\n");
        }
        sb.append("\nA number in parentheses is the NFE actually used. Stochastic samplers solve an SDE: they have no "
                + "pathwise ODE error.\n");
        return sb.toString();
    }
}
