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
 */
public record SweepPoint(String id, Cell cell, String label) implements Serializable {

    /** The same point with another display label. */
    public SweepPoint withLabel(String text) {
        return new SweepPoint(id, cell, text);
    }

    /** The point of a cell, its id made from the cell's sampler, grid and budget. */
    public static SweepPoint of(Cell cell) {
        String description = cell.sampler() + "|" + cell.grid() + "|" + cell.nfeRequested();
        String id = cell.sampler().replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "") + "_"
                + cell.grid().replaceAll("\\(.*", "") + "_nfe" + cell.nfeRequested() + "_" + shortHash(description);
        return new SweepPoint(id, cell, cell.sampler() + " | " + cell.grid());
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

    /** The sampler's description. */
    public String sampler() {
        return cell.sampler();
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
