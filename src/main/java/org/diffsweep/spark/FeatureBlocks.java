package org.diffsweep.spark;

import java.io.IOException;
import java.nio.ByteOrder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridDecoder;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Reads the seeds and features of one block file ({@link FeatureParquet}) straight from its column chunks
 * into primitive arrays: no row objects, no boxed floats, PLAIN float pages copied in bulk. Every row must hold exactly D features. The CRC of each
 * page is checked where the file has one (blocks written since they carry them), so a damaged block fails to read.
 */
public final class FeatureBlocks {

    private FeatureBlocks() {
    }

    /**
     * The rows of one block: {@code seeds[r]} and its D features at {@code features[r·D…]}, and the seed's class
     * {@code labels[r]} when it was asked for (a class-conditional sweep's {@code label} column), else null.
     */
    public record Block(long[] seeds, float[] features, int dim, int[] labels) {
        public Block(long[] seeds, float[] features, int dim) {
            this(seeds, features, dim, null);
        }

        public int rows() {
            return seeds.length;
        }
    }

    /** The class column of a class-conditional sweep's blocks. */
    public static final String LABEL = "label";

    /** The feature column of sweep blocks and kept reference features. */
    public static final String FEATURES = "features";

    /** Reads {@code path}, expecting {@code dim} features per row. */
    public static Block read(Path path, Configuration conf, int dim) throws IOException {
        return read(path, conf, dim, "seed");
    }

    /** Whether a Parquet file's schema has a top-level column {@code name}, from its footer. */
    public static boolean hasColumn(Path path, Configuration conf, String name) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf))) {
            return reader.getFooter().getFileMetaData().getSchema().containsField(name);
        }
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
        return read(path, conf, dim, key, FEATURES);
    }

    /**
     * Reads {@code path} as {@link #read(Path, Configuration, int, String)} does, the features from the list column
     * {@code column} ({@code features}, or a further detector's {@code features_<name>}), into an array of exactly
     * rows × D values.
     */
    public static Block read(Path path, Configuration conf, int dim, String key, String column) throws IOException {
        Block b = read(path, conf, dim, key, column, null);
        return b.features().length == b.rows() * dim ? b
                : new Block(b.seeds(), java.util.Arrays.copyOf(b.features(), b.rows() * dim), dim);
    }

    /**
     * Reads the long column {@code key} and the float-list column {@code column} (selected by name among the
     * file's columns) of {@code path}, expecting {@code dim} features per row. The features are decoded into
     * {@code buffer} when it holds rows × D values (its values past them are left as they were), else into a new
     * array; {@link Block#features} may so be longer than rows × D. PLAIN pages are copied in bulk; pages of other
     * encodings (a dictionary the writer tried first) are decoded value by value with parquet's readers. A local
     * file without a checksum sidecar is read through {@code java.nio} directly (no Hadoop file system in between).
     */
    public static Block read(Path path, Configuration conf, int dim, String key, String column, float[] buffer)
            throws IOException {
        return read(path, conf, dim, key, column, buffer, false);
    }

    /** As above, with each row's class from the int column {@link #LABEL} when {@code labels} is set. */
    public static Block read(Path path, Configuration conf, int dim, String key, String column, float[] buffer,
                             boolean labels) throws IOException {
        ParquetReadOptions options = HadoopReadOptions.builder(conf, path).usePageChecksumVerification(true).build();
        try (ParquetFileReader reader = ParquetFileReader.open(inputFile(path, conf), options)) {
            MessageType file = reader.getFooter().getFileMetaData().getSchema();
            if (!file.containsField(key) || !file.containsField(column)) {
                throw new IOException(path + ": expected features with columns " + key + " and " + column + ", got "
                        + file);
            }
            if (labels && !file.containsField(LABEL)) {
                throw new IOException(path + ": expected the " + LABEL + " column of a class-conditional sweep's "
                        + "block, got " + file);
            }
            MessageType projection = labels
                    ? new MessageType(file.getName(), file.getType(key), file.getType(column), file.getType(LABEL))
                    : new MessageType(file.getName(), file.getType(key), file.getType(column));
            reader.setRequestedSchema(projection);
            long total = reader.getRecordCount();
            if (total > Integer.MAX_VALUE / Math.max(1, dim)) {
                throw new IOException(path + ": " + total + " rows of " + dim + " features is too large for one block");
            }
            int rows = (int) total;
            long[] seeds = new long[rows];
            int[] classes = labels ? new int[rows] : null;
            ColumnDescriptor labelColumn = labels ? projection.getColumnDescription(new String[] {LABEL}) : null;
            float[] features = buffer != null && buffer.length >= rows * dim ? buffer : new float[rows * dim];
            ColumnDescriptor seedColumn = projection.getColumnDescription(new String[] {key});
            ColumnDescriptor featureColumn = projection.getColumns().stream()
                    .filter(c -> c.getPath()[0].equals(column)).findFirst().orElseThrow();
            if (featureColumn.getPrimitiveType().getPrimitiveTypeName() != PrimitiveTypeName.FLOAT
                    || featureColumn.getMaxRepetitionLevel() != 1) {
                throw new IOException(path + ": column " + column + " is " + file.getType(column)
                        + ", expected a list of floats");
            }
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            int r = 0;
            Values values = new Values(path, key, seeds, features, dim, featureColumn);
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages,
                        new GroupRecordConverter(projection).getRootConverter(), projection, createdBy);
                ColumnReader seedReader = store.getColumnReader(seedColumn);
                long groupRows = pages.getRowCount();
                if (r + groupRows > rows) {
                    throw new IOException(path + ": more rows than the footer's " + rows);
                }
                ColumnReader labelReader = labels ? store.getColumnReader(labelColumn) : null;
                for (long k = 0; k < groupRows; k++, r++) {
                    seeds[r] = seedReader.getLong();
                    seedReader.consume();
                    if (labelReader != null) {
                        classes[r] = labelReader.getInteger();
                        labelReader.consume();
                    }
                }
                values.rowGroup(pages.getPageReader(featureColumn), r);
            }
            if (r != rows) {
                throw new IOException(path + ": read " + r + " rows, the footer says " + rows);
            }
            return new Block(seeds, features, dim, classes);
        }
    }

    /**
     * The file at {@code path}: through java.nio for a local path (the sweep writes its blocks with page CRCs and no
     * checksum sidecar), else, and for a local file that has a Hadoop checksum sidecar {@code .NAME.crc} beside it,
     * through its Hadoop file system, which checks the sidecar (a torn write of two writers leaves one that does not
     * match).
     */
    private static InputFile inputFile(Path path, Configuration conf) throws IOException {
        String scheme = path.toUri().getScheme();
        if (scheme == null) {
            scheme = FileSystem.getDefaultUri(conf).getScheme();
        }
        if ("file".equals(scheme)) {
            java.nio.file.Path local = java.nio.file.Paths.get(path.toUri().getPath());
            if (!java.nio.file.Files.exists(local.resolveSibling("." + local.getFileName() + ".crc"))) {
                return new LocalInputFile(local);
            }
        }
        return HadoopInputFile.fromPath(path, conf);
    }

    /**
     * Decodes a float-list column's pages into rows of exactly D values, checking every level: a row starts at
     * repetition level 0 and continues at 1, and every value is defined (no empty list, no missing row).
     */
    private static final class Values {
        private final Path path;
        private final String key;
        private final long[] seeds;
        private final float[] out;
        private final int dim;
        private final ColumnDescriptor column;
        private final int maxDefinition;
        private long v;
        private long end;

        Values(Path path, String key, long[] seeds, float[] out, int dim, ColumnDescriptor column) {
            this.path = path;
            this.key = key;
            this.seeds = seeds;
            this.out = out;
            this.dim = dim;
            this.column = column;
            this.maxDefinition = column.getMaxDefinitionLevel();
        }

        /** The pages of one row group, whose rows end at row {@code rowsEnd} of the block. */
        void rowGroup(PageReader pages, int rowsEnd) throws IOException {
            end = (long) rowsEnd * dim;
            DictionaryPage dictionaryPage = pages.readDictionaryPage();
            Dictionary dictionary = dictionaryPage == null ? null
                    : dictionaryPage.getEncoding().initDictionary(column, dictionaryPage);
            DataPage page;
            while ((page = pages.readPage()) != null) {
                if (page instanceof DataPageV1 p1 && p1.getRlEncoding() == Encoding.RLE
                        && p1.getDlEncoding() == Encoding.RLE) {
                    // Each level run is a 4-byte length, then the runs: decoded by Parquet's decoder itself, called
                    // directly in the loop below (through a ValuesReader it costs three calls a level).
                    ByteBufferInputStream in = p1.getBytes().toInputStream();
                    RunLengthBitPackingHybridDecoder rl = lengthPrefixed(in, column.getMaxRepetitionLevel());
                    RunLengthBitPackingHybridDecoder dl = lengthPrefixed(in, maxDefinition);
                    checkLevels(p1.getValueCount(), rl, dl);
                    values(p1.getValueCount(), p1.getValueEncoding(), dictionary, in);
                } else if (page instanceof DataPageV1 p1) {
                    // BIT_PACKED levels: deprecated by the Parquet format for RLE, and written by no writer of these blocks
                    throw new IOException(path + ": levels encoded as " + p1.getRlEncoding() + "/"
                            + p1.getDlEncoding() + ", expected RLE (every writer of feature blocks uses it)");
                } else if (page instanceof DataPageV2 p2) {
                    RunLengthBitPackingHybridDecoder rl = new RunLengthBitPackingHybridDecoder(
                            BytesUtils.getWidthFromMaxInt(column.getMaxRepetitionLevel()),
                            p2.getRepetitionLevels().toInputStream());
                    RunLengthBitPackingHybridDecoder dl = new RunLengthBitPackingHybridDecoder(
                            BytesUtils.getWidthFromMaxInt(maxDefinition), p2.getDefinitionLevels().toInputStream());
                    checkLevels(p2.getValueCount(), rl, dl);
                    values(p2.getValueCount(), p2.getDataEncoding(), dictionary, p2.getData().toInputStream());
                } else {
                    throw new IOException(path + ": unknown page " + page);
                }
            }
            if (v != end) {
                throw new IOException(path + ": " + rowError(v / dim) + " (" + v + " values for " + rowsEnd
                        + " rows)");
            }
        }

        /** A V1 page's levels of one kind: a little-endian int32 byte length, then that many bytes of runs. */
        private static RunLengthBitPackingHybridDecoder lengthPrefixed(ByteBufferInputStream in, int maxLevel)
                throws IOException {
            int length = BytesUtils.readIntLittleEndian(in);
            return new RunLengthBitPackingHybridDecoder(BytesUtils.getWidthFromMaxInt(maxLevel), in.sliceStream(length));
        }

        /**
         * Checks a page's {@code count} levels: every value defined, and a row starting (repetition level 0) exactly
         * every D values.
         */
        private void checkLevels(int count, RunLengthBitPackingHybridDecoder repetition,
                                 RunLengthBitPackingHybridDecoder definition) throws IOException {
            checkCount(count);
            int at = (int) (v % dim);
            for (int k = 0; k < count; k++) {
                if (definition.readInt() != maxDefinition || (repetition.readInt() == 0) != (at == 0)) {
                    throw new IOException(path + ": " + rowError((v + k) / dim));
                }
                if (++at == dim) {
                    at = 0;
                }
            }
        }

        private void checkCount(int count) throws IOException {
            if (v + count > end) {
                throw new IOException(path + ": a row holds more than " + dim + " features, expected " + dim);
            }
        }

        /** The page's {@code count} values, after its levels were checked, into the rows. */
        private void values(int count, Encoding encoding, Dictionary dictionary, ByteBufferInputStream data)
                throws IOException {
            int from = (int) v;
            if (encoding == Encoding.PLAIN) {
                if (data.available() != 4L * count) {
                    throw new IOException(path + ": a page of " + count + " floats holds " + data.available()
                            + " bytes");
                }
                data.slice(4 * count).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, from, count);
            } else {
                ValuesReader values = encoding.usesDictionary()
                        ? encoding.getDictionaryBasedValuesReader(column, ValuesType.VALUES, dictionary)
                        : encoding.getValuesReader(column, ValuesType.VALUES);
                values.initFromPage(count, data);
                for (int k = 0; k < count; k++) {
                    out[from + k] = values.readFloat();
                }
            }
            v += count;
        }

        private String rowError(long row) {
            String id = row < seeds.length ? key + " " + seeds[(int) row] : "row " + row;
            return id + " does not hold " + dim + " features, expected " + dim + " per row";
        }
    }
}
