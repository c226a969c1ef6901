package org.diffsweep.spark;

import java.io.Serializable;
import org.apache.hadoop.fs.Path;

/**
 * Where a sweep's outputs live under its output directory:
 * <pre>
 *   _LOCK                                        the run that holds the output ({@link OutputLock})
 *   sweep/manifest.json                          what the sweep is (written first)
 *   sweep/features/&lt;config_id&gt;/block-S-E.parquet  one committed seed block [S, E) of one config
 *   sweep/_tmp/                                  blocks being written, each under a name of its own (renamed into
 *                                                features/ when done)
 *   sweep/grids/&lt;config_id&gt;.png                   the first samples of each config (image models)
 *   sweep/_COMPLETE                              written last, once every block is in
 *   fid/ (table.parquet, fid.csv, differences.csv, fid.md, fid.html, _COMPLETE)
 *   _fid_tmp/&lt;run&gt;/, _metrics_tmp/&lt;run&gt;/        a stage's files being written (renamed to fid/, metrics/)
 *   metrics/ (metrics.csv, metrics.md, metrics.html, _COMPLETE)   KID and precision/recall, when the config asks for them
 * </pre>
 */
public record SweepLayout(String output) implements Serializable {

    public Path root() {
        return new Path(output);
    }

    public Path sweepDir() {
        return new Path(root(), "sweep");
    }

    public Path manifest() {
        return new Path(sweepDir(), "manifest.json");
    }

    public Path features() {
        return new Path(sweepDir(), "features");
    }

    public Path tmp() {
        return new Path(sweepDir(), "_tmp");
    }

    public Path sweepComplete() {
        return new Path(sweepDir(), "_COMPLETE");
    }

    public Path block(String configId, long seedStart, long seedEnd) {
        return new Path(new Path(features(), configId),
                String.format("block-%010d-%010d.parquet", seedStart, seedEnd));
    }

    /** A config's PNG grid of samples. */
    public Path grid(String configId) {
        return new Path(new Path(sweepDir(), "grids"), configId + ".png");
    }

    public Path fidDir() {
        return new Path(root(), "fid");
    }

    public Path fidTmp() {
        return new Path(root(), "_fid_tmp");
    }

    public Path fidComplete() {
        return new Path(fidDir(), "_COMPLETE");
    }

    public Path metricsDir() {
        return new Path(root(), "metrics");
    }

    public Path metricsTmp() {
        return new Path(root(), "_metrics_tmp");
    }

    public Path metricsComplete() {
        return new Path(metricsDir(), "_COMPLETE");
    }
}
