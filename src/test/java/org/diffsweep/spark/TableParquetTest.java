package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.diffsweep.report.Table;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The table writer (parquet-hadoop, no Spark SQL job) against what Spark SQL writes for the same table: read back by
 * Spark, the same schema (types, nullability, comments) and the same values, bit for bit.
 */
@Tag("spark")
class TableParquetTest {

    private static Table table() {
        Table t = new Table("t", null, List.of(
                Table.Column.string("id", "the row's name"),
                Table.Column.integer("k", "a small count"),
                Table.Column.count("n", "a large count"),
                Table.Column.real("x", "%.17g", "a real <with> \"quotes\""),
                Table.Column.real("y", "%.17g", "a real left empty in one row"),
                Table.Column.string("s", "a string left empty in one row, σ — \\ / \t tab")));
        t.add("a", 1, 50_000L, 1.0 / 3, Double.NaN, "ü–ß");
        t.add("b", -7, Long.MAX_VALUE, Double.MIN_VALUE, null, null);
        t.add("c", Integer.MAX_VALUE, 0L, -0.0, Double.POSITIVE_INFINITY, "");
        return t;
    }

    /** The Spark SQL path this writer replaced: a DataFrame of the rows, coalesced to one file. */
    private static void writeWithSparkSql(SparkSession spark, Table table, String path) {
        List<Row> rows = new ArrayList<>();
        for (Object[] r : table.rows()) {
            Object[] v = r.clone();
            for (int c = 0; c < v.length; c++) {
                if (v[c] != null && table.columns().get(c).type() == Table.Type.LONG) {
                    v[c] = ((Number) v[c]).longValue();
                } else if (v[c] != null && table.columns().get(c).type() == Table.Type.DOUBLE) {
                    v[c] = ((Number) v[c]).doubleValue();
                }
            }
            rows.add(RowFactory.create(v));
        }
        spark.createDataFrame(rows, TableParquet.schema(table)).coalesce(1).write().parquet(path);
    }

    private static org.apache.parquet.schema.MessageType footerSchema(String dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(Path.of(dir))) {
            Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            try (var reader = org.apache.parquet.hadoop.ParquetFileReader.open(
                    org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(
                            new org.apache.hadoop.fs.Path(part.toUri()), new org.apache.hadoop.conf.Configuration()))) {
                return reader.getFooter().getFileMetaData().getSchema();
            }
        }
    }

    /** The footer's Spark schema is written without Spark's classes; it must be the very string Spark writes. */
    @Test
    void footerSchemaJsonIsSparksOwn() {
        assertEquals(TableParquet.schema(table()).json(), TableParquet.sparkSchemaJson(table()));
    }

    @Test
    void readsBackAsSparkSqlsOwnTable() throws Exception {
        SparkSession spark = SparkTestSupport.spark();
        Path dir = SparkTestSupport.tempDir("table-parquet");
        String ours = dir.resolve("ours/table.parquet").toString();
        String theirs = dir.resolve("sql/table.parquet").toString();
        TableParquet.write(spark.sparkContext().hadoopConfiguration(), table(), ours);
        writeWithSparkSql(spark, table(), theirs);

        var a = spark.read().parquet(ours);
        var b = spark.read().parquet(theirs);
        assertEquals(b.schema(), a.schema());
        assertEquals(b.schema().json(), a.schema().json()); // the comments too
        assertEquals("the row's name", a.schema().apply("id").getComment().get());
        // the files' own Parquet schemas: required where no row is empty, optional where one is
        assertEquals(footerSchema(theirs), footerSchema(ours));
        assertEquals(org.apache.parquet.schema.Type.Repetition.REQUIRED, footerSchema(ours).getType("x")
                .getRepetition());
        assertEquals(org.apache.parquet.schema.Type.Repetition.OPTIONAL, footerSchema(ours).getType("y")
                .getRepetition());
        List<Row> ra = a.orderBy("id").collectAsList();
        List<Row> rb = b.orderBy("id").collectAsList();
        assertEquals(3, ra.size());
        for (int r = 0; r < ra.size(); r++) {
            for (int c = 0; c < rb.get(r).size(); c++) {
                Object x = ra.get(r).get(c);
                Object y = rb.get(r).get(c);
                if (y instanceof Double d) {
                    assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits((Double) x), r + "," + c);
                } else {
                    assertEquals(y, x, r + "," + c);
                }
            }
        }
        // a rewrite replaces the table
        TableParquet.write(spark.sparkContext().hadoopConfiguration(), table(), ours);
        assertEquals(3, spark.read().parquet(ours).count());
    }
}
