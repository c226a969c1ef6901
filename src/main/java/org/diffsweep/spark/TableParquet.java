package org.diffsweep.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
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
 */
public final class TableParquet {

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

    /** The Spark schema of a table. */
    public static StructType schema(Table table) {
        StructType schema = new StructType();
        List<Object[]> rows = table.rows();
        for (int c = 0; c < table.columns().size(); c++) {
            Table.Column col = table.columns().get(c);
            final int i = c;
            boolean nullable = rows.stream().anyMatch(r -> r[i] == null);
            Metadata meta = new MetadataBuilder().putString("comment", col.meaning()).build();
            schema = schema.add(col.name(), type(col.type()), nullable, meta);
        }
        return schema;
    }

    /** Writes the table as one Parquet file under {@code path} (a directory, as Spark writes it). */
    public static void write(SparkSession spark, Table table, String path) {
        List<Row> rows = new ArrayList<>();
        List<Table.Column> cols = table.columns();
        for (Object[] r : table.rows()) {
            Object[] v = r.clone();
            for (int c = 0; c < v.length; c++) {
                if (v[c] != null && cols.get(c).type() == Table.Type.LONG) {
                    v[c] = ((Number) v[c]).longValue();
                } else if (v[c] != null && cols.get(c).type() == Table.Type.DOUBLE) {
                    v[c] = ((Number) v[c]).doubleValue();
                }
            }
            rows.add(RowFactory.create(v));
        }
        spark.createDataFrame(rows, schema(table)).coalesce(1).write().parquet(path);
    }
}
