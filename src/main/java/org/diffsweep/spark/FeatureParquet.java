package org.diffsweep.spark;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * The features file of one seed block, written by the executor with parquet-hadoop:
 * {@code config_id, seed, nfe, sampler, grid, features array<float>}, and the block's metadata (model, sweep,
 * code version, sampler config) in the file's key-value footer.
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
        SimpleGroupFactory groups = new SimpleGroupFactory(KEPT_SCHEMA);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(path, conf))
                .withType(KEPT_SCHEMA)
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
                writer.write(g);
            }
        }
    }

    /** One row to write. */
    public record Row(long seed, float[] features) {
    }

    /** Writes the rows of one block to {@code path}, replacing any partial file there. */
    public static void write(Path path, Configuration conf, String configId, int nfe, String sampler, String grid,
                             Iterable<Row> rows, Map<String, String> metadata) throws IOException {
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(path, conf))
                .withType(SCHEMA)
                .withConf(conf)
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
                writer.write(g);
            }
        }
    }
}
