package org.diffsweep.spark;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
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
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructType;
import org.diffsweep.report.Table;

/**
 * Writes a {@link Table} as Parquet, its schema mapped to Spark types (string, int, long, double); a column is
 * nullable only when some row leaves it empty, and each column's meaning is kept as its comment.
 *
 * <p>The file is written with parquet-hadoop directly (no Spark SQL job: a one-row table through a DataFrame
 * cost seconds), in the layout Spark writes: a directory holding one {@code part-00000.snappy.parquet} and
 * {@code _SUCCESS}. The Spark schema goes in the footer under the key Spark reads it from, so Spark sees the same
 * types, nullability and comments as from a table it wrote itself.
 */
public final class TableParquet {

    /** The footer key under which Spark keeps a file's Spark schema (its types, nullability and comments). */
    static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";

    /** The one data file inside a table's directory. */
    static final String PART = "part-00000.snappy.parquet";

    private TableParquet() {
    }

    static DataType type(Table.Type t) {
        return switch (t) {
            case STRING -> DataTypes.StringType;
            case INT -> DataTypes.IntegerType;
            case LONG -> DataTypes.LongType;
            case DOUBLE -> DataTypes.DoubleType;
        };
    }

    private static boolean nullable(Table table, int column) {
        return table.rows().stream().anyMatch(r -> r[column] == null);
    }

    /** The Spark schema of a table. */
    public static StructType schema(Table table) {
        StructType schema = new StructType();
        for (int c = 0; c < table.columns().size(); c++) {
            Table.Column col = table.columns().get(c);
            Metadata meta = new MetadataBuilder().putString("comment", col.meaning()).build();
            schema = schema.add(col.name(), type(col.type()), nullable(table, c), meta);
        }
        return schema;
    }

    /** Spark's name of a column type in a schema's JSON. */
    private static String typeName(Table.Type t) {
        return switch (t) {
            case STRING -> "string";
            case INT -> "integer";
            case LONG -> "long";
            case DOUBLE -> "double";
        };
    }

    /**
     * The Spark schema of a table as the JSON Spark keeps in a file's footer ({@code StructType.json()}), written
     * with Jackson: the fid stage writes its tables without loading Spark's (Scala) type classes.
     */
    static String sparkSchemaJson(Table table) {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = json.createObjectNode();
        root.put("type", "struct");
        com.fasterxml.jackson.databind.node.ArrayNode fields = root.putArray("fields");
        for (int c = 0; c < table.columns().size(); c++) {
            Table.Column col = table.columns().get(c);
            com.fasterxml.jackson.databind.node.ObjectNode f = fields.addObject();
            f.put("name", col.name());
            f.put("type", typeName(col.type()));
            f.put("nullable", nullable(table, c));
            f.putObject("metadata").put("comment", col.meaning());
        }
        try {
            return json.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Parquet schema of a table, as Spark writes the same Spark schema. */
    static MessageType parquetSchema(Table table) {
        Types.MessageTypeBuilder b = Types.buildMessage();
        for (int c = 0; c < table.columns().size(); c++) {
            Table.Column col = table.columns().get(c);
            Repetition rep = nullable(table, c) ? Repetition.OPTIONAL : Repetition.REQUIRED;
            switch (col.type()) {
                case STRING -> b.primitive(PrimitiveTypeName.BINARY, rep).as(LogicalTypeAnnotation.stringType())
                        .named(col.name());
                case INT -> b.primitive(PrimitiveTypeName.INT32, rep).named(col.name());
                case LONG -> b.primitive(PrimitiveTypeName.INT64, rep).named(col.name());
                case DOUBLE -> b.primitive(PrimitiveTypeName.DOUBLE, rep).named(col.name());
                default -> throw new IllegalStateException(col.type().toString());
            }
        }
        return b.named("spark_schema");
    }

    /** Writes the table as one Parquet file under {@code path} (a directory, as Spark writes it). */
    public static void write(SparkSession spark, Table table, String path) throws IOException {
        write(spark.sparkContext().hadoopConfiguration(), table, path);
    }

    /**
     * Writes the table as one Parquet file under {@code path} (a directory, as Spark writes it), replacing what is
     * there.
     */
    public static void write(Configuration conf, Table table, String path) throws IOException {
        Path dir = new Path(path);
        FileSystem fs = dir.getFileSystem(conf);
        fs.delete(dir, true);
        fs.mkdirs(dir);
        MessageType schema = parquetSchema(table);
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        List<Table.Column> cols = table.columns();
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(new Path(dir, PART),
                        conf))
                .withType(schema)
                .withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withExtraMetaData(Map.of(SPARK_SCHEMA_KEY, sparkSchemaJson(table)))
                .build()) {
            for (Object[] r : table.rows()) {
                Group g = groups.newGroup();
                for (int c = 0; c < r.length; c++) {
                    if (r[c] == null) {
                        continue;
                    }
                    switch (cols.get(c).type()) {
                        case STRING -> g.append(cols.get(c).name(), r[c].toString());
                        case INT -> g.append(cols.get(c).name(), ((Number) r[c]).intValue());
                        case LONG -> g.append(cols.get(c).name(), ((Number) r[c]).longValue());
                        case DOUBLE -> g.append(cols.get(c).name(), ((Number) r[c]).doubleValue());
                        default -> throw new IllegalStateException(cols.get(c).type().toString());
                    }
                }
                writer.write(g);
            }
        }
        fs.create(new Path(dir, "_SUCCESS"), true).close();
    }
}
