package org.diffsweep.spark;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;

/**
 * Reads the seeds and features of one block file ({@link FeatureParquet}) straight from its column chunks
 * into primitive arrays: no row objects, no boxed floats. Every row must hold exactly D features. The CRC of each
 * page is checked where the file has one (blocks written since they carry them), so a damaged block fails to read.
 */
public final class FeatureBlocks {

    private FeatureBlocks() {
    }

    /** The rows of one block: {@code seeds[r]} and its D features at {@code features[r·D…]}. */
    public record Block(long[] seeds, float[] features, int dim) {
        public int rows() {
            return seeds.length;
        }
    }

    /** Reads {@code path}, expecting {@code dim} features per row. */
    public static Block read(Path path, Configuration conf, int dim) throws IOException {
        return read(path, conf, dim, "seed");
    }

    /** The number of rows of a Parquet file, from its footer. */
    public static long count(Path path, Configuration conf) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf))) {
            return reader.getRecordCount();
        }
    }

    /**
     * Reads {@code path}, expecting {@code dim} features per row, keyed by the long column {@code key} (the seed of
     * a sweep block, the image index of kept reference features); the keys come back in {@link Block#seeds}.
     */
    public static Block read(Path path, Configuration conf, int dim, String key) throws IOException {
        return read(path, conf, dim, key, "features");
    }

    /**
     * Reads {@code path} as {@link #read(Path, Configuration, int, String)} does, the features from the list column
     * {@code column} ({@code features}, or a further detector's {@code features_<name>}).
     */
    public static Block read(Path path, Configuration conf, int dim, String key, String column) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf),
                HadoopReadOptions.builder(conf, path).usePageChecksumVerification(true).build())) {
            MessageType file = reader.getFooter().getFileMetaData().getSchema();
            if (!file.containsField(key) || !file.containsField(column)) {
                throw new IOException(path + ": expected features with columns " + key + " and " + column + ", got "
                        + file);
            }
            MessageType projection = new MessageType(file.getName(), file.getType(key), file.getType(column));
            reader.setRequestedSchema(projection);
            long total = reader.getRecordCount();
            if (total > Integer.MAX_VALUE / Math.max(1, dim)) {
                throw new IOException(path + ": " + total + " rows of " + dim + " features is too large for one block");
            }
            int rows = (int) total;
            long[] seeds = new long[rows];
            float[] features = new float[rows * dim];
            ColumnDescriptor seedColumn = projection.getColumnDescription(new String[] {key});
            ColumnDescriptor featureColumn = projection.getColumnDescription(new String[] {column, "list", "element"});
            int maxDefinition = featureColumn.getMaxDefinitionLevel();
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            int r = 0;
            int v = 0;
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages,
                        new GroupRecordConverter(projection).getRootConverter(), projection, createdBy);
                ColumnReader seedReader = store.getColumnReader(seedColumn);
                ColumnReader featureReader = store.getColumnReader(featureColumn);
                long groupRows = pages.getRowCount();
                long groupStart = v;
                for (long k = 0; k < groupRows; k++, r++) {
                    seeds[r] = seedReader.getLong();
                    seedReader.consume();
                    for (int i = 0; i < dim; i++) {
                        if (featureReader.getCurrentDefinitionLevel() != maxDefinition
                                || (featureReader.getCurrentRepetitionLevel() == 0) != (i == 0)) {
                            throw new IOException(path + ": " + key + " " + seeds[r] + " does not hold " + dim
                                    + " features, expected " + dim + " per row");
                        }
                        features[v++] = featureReader.getFloat();
                        featureReader.consume();
                    }
                }
                if (v - groupStart != featureReader.getTotalValueCount()) {
                    throw new IOException(path + ": a row holds more than " + dim + " features, expected " + dim);
                }
            }
            if (r != rows) {
                throw new IOException(path + ": read " + r + " rows, the footer says " + rows);
            }
            return new Block(seeds, features, dim);
        }
    }
}
