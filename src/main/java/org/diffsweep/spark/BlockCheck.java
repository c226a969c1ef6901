package org.diffsweep.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * Reads committed blocks back whole, in a Spark task: the footer, every page (its CRC checked where the file has
 * one, and the {@code .crc} sidecar of an older block on the local disk), one row per seed of the block in order,
 * each with the config's D features. Returns the blocks that do not read back, with why.
 */
public final class BlockCheck implements FlatMapFunction<Iterator<SeedBlock>, BlockCheck.Bad> {

    private static final long serialVersionUID = 1L;

    /** A block that does not read back whole. */
    public record Bad(SeedBlock block, String reason) implements Serializable {
    }

    private final SweepLayout layout;
    private final HadoopConf hadoop;
    private final int dim;
    private final java.util.LinkedHashMap<String, Integer> more;

    public BlockCheck(SweepLayout layout, HadoopConf hadoop, int dim) {
        this(layout, hadoop, dim, new java.util.LinkedHashMap<>());
    }

    /** A check that also reads the further detectors' columns, each with its D ({@code features_<name>} → D). */
    public BlockCheck(SweepLayout layout, HadoopConf hadoop, int dim, java.util.LinkedHashMap<String, Integer> more) {
        this.layout = layout;
        this.hadoop = hadoop;
        this.dim = dim;
        this.more = more;
    }

    @Override
    public Iterator<Bad> call(Iterator<SeedBlock> blocks) {
        List<Bad> bad = new ArrayList<>();
        while (blocks.hasNext()) {
            SeedBlock b = blocks.next();
            String why = problem(layout.block(b.configId(), b.seedStart(), b.seedEnd()), b);
            if (why != null) {
                bad.add(new Bad(b, why));
            }
        }
        return bad.iterator();
    }

    /** What is wrong with a block's file, or null if it reads back whole. */
    String problem(Path path, SeedBlock b) {
        FeatureBlocks.Block block;
        try {
            block = FeatureBlocks.read(path, hadoop.get(), dim);
            for (java.util.Map.Entry<String, Integer> c : more.entrySet()) {
                FeatureBlocks.Block other = FeatureBlocks.read(path, hadoop.get(), c.getValue(), "seed", c.getKey());
                if (other.rows() != block.rows()) {
                    return c.getKey() + ": " + other.rows() + " rows, expected " + block.rows();
                }
            }
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            return e.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + m.replace(path.toString(), "").trim());
        }
        if (block.rows() != b.size()) {
            return block.rows() + " rows, expected " + b.size();
        }
        for (int r = 0; r < block.rows(); r++) {
            if (block.seeds()[r] != b.seedStart() + r) {
                return "row " + r + " holds seed " + block.seeds()[r] + ", expected " + (b.seedStart() + r);
            }
        }
        return null;
    }
}
