package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.diffsweep.s3.S3Proxy;
import org.junit.jupiter.api.Test;

/**
 * A block's commit on S3A (against s3proxy): S3A refuses a rename onto an existing object by throwing, where HDFS
 * returns false; the commit reads both as "another attempt committed this block first" and keeps that block.
 */
class S3aCommitIT {

    @Test
    void commitOntoACommittedBlockKeepsItOnS3a() throws Exception {
        try (S3Proxy s3 = S3Proxy.start(SparkTestSupport.tempDir("s3a-commit").resolve("s3"))) {
            s3.createBucket("commit");
            Configuration conf = new Configuration();
            s3.s3aSettings().forEach(conf::set);
            conf.set("fs.s3a.access.key", s3.accessKey());
            conf.set("fs.s3a.secret.key", s3.secretKey());
            try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://commit/"), conf)) {
                Path target = new Path("s3a://commit/out/sweep/features/c/block-0000000000-0000000004.parquet");
                Path first = new Path("s3a://commit/out/sweep/_tmp/c.0.first.parquet");
                Path second = new Path("s3a://commit/out/sweep/_tmp/c.0.second.parquet");
                write(fs, first, "first attempt");
                write(fs, second, "second attempt");
                fs.mkdirs(target.getParent());

                assertTrue(BlockRunner.commit(fs, first, target), "a commit to a free place");
                assertFalse(fs.exists(first), "the committed temporary file is gone");
                assertFalse(BlockRunner.commit(fs, second, target), "a commit onto a committed block");
                assertEquals("first attempt", read(fs, target), "the block committed first is kept");
                assertTrue(fs.exists(second), "the loser's temporary file is left for the caller to delete");
            }
        }
    }

    static void write(FileSystem fs, Path p, String text) throws IOException {
        try (OutputStream out = fs.create(p, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    static String read(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
