package org.diffsweep.spark;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * The features file of one seed block, written by the executor with parquet-hadoop:
 * {@code config_id, seed, nfe, sampler, grid, features array<float>}, and the block's metadata (model, sweep,
 * code version, sampler config) in the file's key-value footer. A sweep with several detectors ({@code detectors:})
 * stores the first one's features in {@code features} and each further one's in a column
 * {@code features_<name>} after it ({@link #schema}), so every detector sees the same images, made once. A
 * class-conditional sweep adds each seed's class, {@code label int32}, last ({@link #LABELLED_SCHEMA}).
 */
public final class FeatureParquet {

    public static final MessageType SCHEMA = Types.buildMessage()
            .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("config_id")
            .required(PrimitiveTypeName.INT64).named("seed")
            .required(PrimitiveTypeName.INT32).named("nfe")
            .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("sampler")
            .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("grid")
            .requiredList().requiredElement(PrimitiveTypeName.FLOAT).named("features")
            .named("features_block");

    /**
     * The schema of a block with further feature columns after {@code features} (none: {@link #SCHEMA} itself).
     */
    public static MessageType schema(java.util.List<String> moreColumns) {
        if (moreColumns.isEmpty()) {
            return SCHEMA;
        }
        java.util.List<org.apache.parquet.schema.Type> fields = new java.util.ArrayList<>(SCHEMA.getFields());
        for (String c : moreColumns) {
            fields.add(Types.requiredList().requiredElement(PrimitiveTypeName.FLOAT).named(c));
        }
        return new MessageType(SCHEMA.getName(), fields);
    }

    /** The kept real features of {@code ref-stats --keep}: the image's index in the data set and its features. */
    public static final MessageType KEPT_SCHEMA = Types.buildMessage()
            .required(PrimitiveTypeName.INT64).named("index")
            .requiredList().requiredElement(PrimitiveTypeName.FLOAT).named("features")
            .named("kept_features");

    private FeatureParquet() {
    }

    /**
     * Writes kept rows ({@link #KEPT_SCHEMA}) to {@code path}, replacing any partial file there (a retried task
     * writes the same rows again).
     *
     * @param rows n×D, row-major, in the order of {@code index}
     */
    public static void writeKept(Path path, Configuration conf, long[] index, float[] rows, int dim,
                                 Map<String, String> metadata) throws IOException {
        writeKept(path, conf, index, rows, dim, null, metadata);
    }

    /** {@link #KEPT_SCHEMA} and each image's class, {@code label} int32, last: kept features of labelled data. */
    public static final MessageType KEPT_LABELLED_SCHEMA = new MessageType("kept_features",
            java.util.stream.Stream.concat(KEPT_SCHEMA.getFields().stream(),
                    java.util.stream.Stream.of(Types.required(PrimitiveTypeName.INT32).named("label"))).toList());

    /** As above, with each row's class label when {@code labels} is not null ({@link #KEPT_LABELLED_SCHEMA}). */
    public static void writeKept(Path path, Configuration conf, long[] index, float[] rows, int dim, int[] labels,
                                 Map<String, String> metadata) throws IOException {
        MessageType schema = labels == null ? KEPT_SCHEMA : KEPT_LABELLED_SCHEMA;
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(path, conf))
                .withType(schema)
                .withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withExtraMetaData(metadata)
                .build()) {
            for (int r = 0; r < index.length; r++) {
                Group g = groups.newGroup().append("index", index[r]);
                Group list = g.addGroup("features");
                for (int i = 0; i < dim; i++) {
                    list.addGroup("list").append("element", rows[r * dim + i]);
                }
                if (labels != null) {
                    g.append("label", labels[r]);
                }
                writer.write(g);
            }
        }
    }

    /** A Parquet output file on a given Hadoop file system (not the one its path's scheme names in the cache). */
    static final class FsOutputFile implements OutputFile {
        private final FileSystem fs;
        private final Path path;

        FsOutputFile(FileSystem fs, Path path) {
            this.fs = fs;
            this.path = path;
        }

        @Override
        public PositionOutputStream create(long blockSizeHint) throws IOException {
            return wrap(fs.create(path, false));
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
            return wrap(fs.create(path, true));
        }

        private static PositionOutputStream wrap(FSDataOutputStream out) {
            return new PositionOutputStream() {
                @Override
                public long getPos() throws IOException {
                    return out.getPos();
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    out.close();
                }
            };
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }

        @Override
        public String getPath() {
            return path.toString();
        }
    }

    /** A row of an unconditional sweep: no label. */
    public static final int NO_LABEL = -1;

    /**
     * The schema of a class-conditional sweep's blocks: {@link #SCHEMA} and each seed's class, {@code label} int32.
     */
    public static final MessageType LABELLED_SCHEMA = new MessageType(SCHEMA.getName(),
            java.util.stream.Stream.concat(SCHEMA.getFields().stream(), java.util.stream.Stream.of(
                    Types.required(PrimitiveTypeName.INT32).named("label"))).toList());

    /**
     * One row to write.
     *
     * @param more  the features of the further detectors, in the order of the further columns (none: empty)
     * @param label the seed's class, or {@link #NO_LABEL}
     */
    public record Row(long seed, float[] features, float[][] more, int label) {
        public Row(long seed, float[] features) {
            this(seed, features, new float[0][], NO_LABEL);
        }

        public Row(long seed, float[] features, float[][] more) {
            this(seed, features, more, NO_LABEL);
        }

        public Row(long seed, float[] features, int label) {
            this(seed, features, new float[0][], label);
        }
    }

    /** Writes the rows of one block to {@code path}, replacing any partial file there. */
    public static void write(Path path, Configuration conf, String configId, int nfe, String sampler, String grid,
                             Iterable<Row> rows, Map<String, String> metadata) throws IOException {
        write(HadoopOutputFile.fromPath(path, conf), conf, configId, nfe, sampler, grid, rows, metadata,
                java.util.List.of());
    }

    /**
     * Writes the rows of one block to {@code path} on {@code fs} itself, replacing any partial file there: on the
     * local disk the raw file system, so that the block is one file, with Parquet's CRC of each page inside it
     * (checked when read, {@link FeatureBlocks}) instead of a {@code .crc} sidecar that a rename would move apart
     * from it.
     */
    public static void write(FileSystem fs, Path path, Configuration conf, String configId, int nfe, String sampler,
                             String grid, Iterable<Row> rows, Map<String, String> metadata) throws IOException {
        write(new FsOutputFile(fs, path), conf, configId, nfe, sampler, grid, rows, metadata, java.util.List.of());
    }

    /**
     * As {@link #write(FileSystem, Path, Configuration, String, int, String, String, Iterable, Map)}, with the further
     * detectors' feature columns {@code moreColumns} after {@code features} ({@link #schema}).
     */
    public static void write(FileSystem fs, Path path, Configuration conf, String configId, int nfe, String sampler,
                             String grid, Iterable<Row> rows, Map<String, String> metadata,
                             java.util.List<String> moreColumns) throws IOException {
        write(new FsOutputFile(fs, path), conf, configId, nfe, sampler, grid, rows, metadata, moreColumns);
    }

    private static void write(OutputFile file, Configuration conf, String configId, int nfe, String sampler,
                              String grid, Iterable<Row> rows, Map<String, String> metadata,
                              java.util.List<String> moreColumns) throws IOException {
        java.util.Iterator<Row> first = rows.iterator();
        boolean labelled = first.hasNext() && first.next().label() != NO_LABEL;
        MessageType schema = schema(moreColumns);
        if (labelled) {
            schema = new MessageType(schema.getName(), java.util.stream.Stream.concat(schema.getFields().stream(),
                    java.util.stream.Stream.of(Types.required(PrimitiveTypeName.INT32).named("label"))).toList());
        }
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(file)
                .withType(schema)
                .withConf(conf)
                .withPageWriteChecksumEnabled(true)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withExtraMetaData(metadata)
                .build()) {
            for (Row row : rows) {
                Group g = groups.newGroup()
                        .append("config_id", configId)
                        .append("seed", row.seed())
                        .append("nfe", nfe)
                        .append("sampler", sampler)
                        .append("grid", grid);
                Group list = g.addGroup("features");
                for (float f : row.features()) {
                    list.addGroup("list").append("element", f);
                }
                if (row.more().length != moreColumns.size()) {
                    throw new IllegalArgumentException("seed " + row.seed() + ": " + row.more().length
                            + " further feature arrays, expected one for each of " + moreColumns);
                }
                for (int c = 0; c < moreColumns.size(); c++) {
                    Group more = g.addGroup(moreColumns.get(c));
                    for (float f : row.more()[c]) {
                        more.addGroup("list").append("element", f);
                    }
                }
                if (labelled) {
                    g.append("label", row.label());
                }
                writer.write(g);
            }
        }
    }
}
