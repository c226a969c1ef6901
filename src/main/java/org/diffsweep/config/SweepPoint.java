package org.diffsweep.config;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.diffsweep.family.Cell;

/**
 * One cell of a sweep under its id: a family's sampler on a grid at an NFE budget, with the steps and the NFE it
 * really takes ({@link Cell}).
 *
 * @param id    stable id: readable prefix plus a hash of the full description
 * @param cell  what runs
 * @param label a short display name, {@code sampler | grid} from the config's labels (or descriptions); plots use
 *              it, the id and the manifest do not
 * @param guidance the guidance scale w of a guided config ({@code guidance:}), or null: unguided
 */
public record SweepPoint(String id, Cell cell, String label, Double guidance) implements Serializable {

    public SweepPoint(String id, Cell cell, String label) {
        this(id, cell, label, null);
    }

    /** The same point with another display label. */
    public SweepPoint withLabel(String text) {
        return new SweepPoint(id, cell, text, guidance);
    }

    /** The point of a cell, its id made from the cell's sampler, grid and budget. */
    public static SweepPoint of(Cell cell) {
        return of(cell, null);
    }

    /**
     * The point of a cell at a guidance scale (null: unguided, whose id is exactly as it always was). A guided point's
     * id adds {@code _w<scale>} before the hash, and its hash covers the scale.
     */
    public static SweepPoint of(Cell cell, Double guidance) {
        String description = cell.sampler() + "|" + cell.grid() + "|" + cell.nfeRequested()
                + (guidance == null ? "" : "|guidance=" + scale(guidance));
        String id = cell.sampler().replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "") + "_"
                + cell.grid().replaceAll("\\(.*", "") + "_nfe" + cell.nfeRequested()
                + (guidance == null ? "" : "_w" + scale(guidance)) + "_" + shortHash(description);
        SweepPoint p = new SweepPoint(id, cell, null, guidance);
        return p.withLabel(p.sampler() + " | " + cell.grid());
    }

    /** A guidance scale as ids and tables write it: the shortest decimal, e.g. 1, 1.5, 0.25. */
    public static String scale(double w) {
        return java.math.BigDecimal.valueOf(w).stripTrailingZeros().toPlainString();
    }

    /**
     * Network evaluations per sample: NFE denoiser evaluations, each of which evaluates the network twice (both
     * branches) for a guided config at w ≠ 1, once otherwise.
     */
    public int networkCalls() {
        return guidance != null && guidance != 1.0 ? 2 * nfe() : nfe();
    }

    public int nfeRequested() {
        return cell.nfeRequested();
    }

    public int steps() {
        return cell.steps();
    }

    public int nfe() {
        return cell.nfe();
    }

    /** The sampler's description; a guided config's adds its scale, {@code heun guidance=1.5}. */
    public String sampler() {
        return guidance == null ? cell.sampler() : cell.sampler() + " guidance=" + scale(guidance);
    }

    /** The grid's description. */
    public String grid() {
        return cell.grid();
    }

    /** The levels this point samples on, in its family's time. */
    public double[] levels() {
        return cell.levels();
    }

    static String shortHash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 3);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
