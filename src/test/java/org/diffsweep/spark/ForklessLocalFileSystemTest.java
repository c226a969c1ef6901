package org.diffsweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver's {@code file:} file system sets the permission bits Hadoop's own would, through java.nio: on files it
 * creates (with their checksum sidecars), on folders, and when asked.
 */
class ForklessLocalFileSystemTest {

    @TempDir
    java.nio.file.Path dir;

    @Test
    void theDriverConfigurationNamesItAndItSetsHadoopsPermissions() throws Exception {
        Configuration conf = HadoopStore.driverConf();
        assertEquals(ForklessLocalFileSystem.class.getName(), conf.get(ForklessLocalFileSystem.IMPL_KEY));
        // a fresh instance, not the JVM's cached file: system (which other tests may have made another way)
        FileSystem fs = FileSystem.newInstance(dir.toUri(), conf);
        try {
            assertInstanceOf(ForklessLocalFileSystem.class, fs);
            assertInstanceOf(LocalFileSystem.class, fs, "checksummed, as Hadoop's own");
            Path file = new Path(dir.toUri().toString(), "a/b.txt");
            try (OutputStream o = fs.create(file, true)) {
                o.write(1);
            }
            FsPermission expected = FsPermission.getFileDefault().applyUMask(FsPermission.getUMask(conf));
            assertEquals(PosixFilePermissions.fromString(expected.toString()),
                    Files.getPosixFilePermissions(dir.resolve("a/b.txt")));
            assertTrue(Files.exists(dir.resolve("a/.b.txt.crc")), "the checksum sidecar is written as before");
            fs.setPermission(file, new FsPermission((short) 0640));
            assertEquals(PosixFilePermissions.fromString("rw-r-----"),
                    Files.getPosixFilePermissions(dir.resolve("a/b.txt")));
            Path folder = new Path(dir.toUri().toString(), "c");
            fs.mkdirs(folder, new FsPermission((short) 0750));
            assertEquals(PosixFilePermissions.fromString("rwxr-x---"), Files.getPosixFilePermissions(dir.resolve("c")));
            fs.setPermission(folder, new FsPermission((short) 01777));
            assertEquals(PosixFilePermissions.fromString("rwxrwxrwx"), Files.getPosixFilePermissions(dir.resolve("c")),
                    "a sticky bit goes Hadoop's way, with the same nine bits");
        } finally {
            fs.close();
        }
    }

    @Test
    void everyBitMapsToItsJavaNioName() {
        for (int mode = 0; mode <= 0777; mode++) {
            FsPermission p = new FsPermission((short) mode);
            assertEquals(PosixFilePermissions.fromString(p.toString().substring(0, 9)), ForklessLocalFileSystem.posix(p),
                    Integer.toOctalString(mode));
        }
    }
}
