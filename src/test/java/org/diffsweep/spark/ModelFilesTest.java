package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.diffsweep.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file's hash as the tables' provenance states it: the file's SHA-256, prefetched or not, failures not kept. */
class ModelFilesTest {

    @TempDir
    java.nio.file.Path dir;

    @Test
    void aPrefetchedHashIsTheFilesAndAFailedReadIsTriedAgain() throws Exception {
        Configuration conf = new Configuration();
        byte[] bytes = new byte[3 << 20];
        new java.util.SplittableRandom(5).nextBytes(bytes);
        java.nio.file.Path file = dir.resolve("ref.npz");
        Files.write(file, bytes);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        String path = "file:" + file;
        ModelFiles.prefetchSha256(path, conf);
        // whether the prefetch has finished, is running or has not started, the answer is the file's hash
        assertEquals(expected, ModelFiles.sha256(path, conf));
        assertEquals(expected, ModelFiles.sha256(path, conf));

        String missing = "file:" + dir.resolve("later.npz");
        ModelFiles.prefetchSha256(missing, conf);
        assertThrows(ConfigException.class, () -> ModelFiles.sha256(missing, conf));
        Files.write(dir.resolve("later.npz"), new byte[] {1, 2, 3});
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(new byte[] {1, 2, 3})),
                ModelFiles.sha256(missing, conf), "a failed read is not remembered");
    }
}
