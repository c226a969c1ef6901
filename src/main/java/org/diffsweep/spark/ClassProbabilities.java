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
import org.diffsweep.metrics.InceptionScore;

/**
 * The per-sample class probabilities of a sweep's feature blocks, for the Inception Score: the list-of-float column
 * {@value #COLUMN} beside {@code seed}, one row of C probabilities (Inception's 1008 classes: the softmax of the
 * logits without the output bias) per seed. Read straight from the column chunks into an
 * {@link InceptionScore.Accumulator}, each row into the split its seed's offset falls in, so that any set of
 * blocks, read in any order, merges into the same sums.
 */
public final class ClassProbabilities {

    /** The column the Inception Score reads. */
    public static final String COLUMN = "class_probabilities";

    private ClassProbabilities() {
    }

    /** Whether a block file has the column. */
    public static boolean present(Path path, Configuration conf) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf))) {
            return reader.getFooter().getFileMetaData().getSchema().containsField(COLUMN);
        }
    }

    /**
     * Adds every row of a block to {@code acc}: row with seed s goes to split {@code split[s − seedStart]}. Rows must
     * hold exactly {@code acc.classes()} probabilities.
     *
     * @return the seeds read, in file order
     * @throws IOException when the column is missing, a row has another length, or a seed is outside the split table
     */
    public static long[] accumulate(Path path, Configuration conf, long seedStart, int[] split,
                                    InceptionScore.Accumulator acc) throws IOException {
        int classes = acc.classes();
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf),
                HadoopReadOptions.builder(conf, path).usePageChecksumVerification(true).build())) {
            MessageType file = reader.getFooter().getFileMetaData().getSchema();
            if (!file.containsField("seed") || !file.containsField(COLUMN)) {
                throw new IOException(path + ": expected columns seed and " + COLUMN + " (the detector's class "
                        + "probabilities, for the Inception Score), got " + file);
            }
            MessageType projection = new MessageType(file.getName(), file.getType("seed"), file.getType(COLUMN));
            reader.setRequestedSchema(projection);
            int rows = Math.toIntExact(reader.getRecordCount());
            long[] seeds = new long[rows];
            float[] row = new float[classes];
            ColumnDescriptor seedColumn = projection.getColumnDescription(new String[] {"seed"});
            ColumnDescriptor probColumn = projection.getColumnDescription(new String[] {COLUMN, "list", "element"});
            int maxDefinition = probColumn.getMaxDefinitionLevel();
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            int r = 0;
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages,
                        new GroupRecordConverter(projection).getRootConverter(), projection, createdBy);
                ColumnReader seedReader = store.getColumnReader(seedColumn);
                ColumnReader probReader = store.getColumnReader(probColumn);
                long values = 0;
                for (long k = 0; k < pages.getRowCount(); k++, r++) {
                    seeds[r] = seedReader.getLong();
                    seedReader.consume();
                    for (int i = 0; i < classes; i++) {
                        if (probReader.getCurrentDefinitionLevel() != maxDefinition
                                || (probReader.getCurrentRepetitionLevel() == 0) != (i == 0)) {
                            throw new IOException(path + ": seed " + seeds[r] + " does not hold " + classes
                                    + " class probabilities, expected " + classes + " per row");
                        }
                        row[i] = probReader.getFloat();
                        probReader.consume();
                        values++;
                    }
                    long offset = seeds[r] - seedStart;
                    if (offset < 0 || offset >= split.length) {
                        throw new IOException(path + ": seed " + seeds[r] + " outside the seeds " + seedStart + "–"
                                + (seedStart + split.length - 1) + " being scored");
                    }
                    acc.addProbabilities(split[(int) offset], row, 0);
                }
                if (values != probReader.getTotalValueCount()) {
                    throw new IOException(path + ": a row holds more than " + classes + " class probabilities");
                }
            }
            return seeds;
        }
    }
}
