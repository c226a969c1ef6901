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
 * returns false; the commit reads both as "another attempt committed this block first" and keeps that block. And
 * the output lock on S3A: created once (a conditional PUT, If-None-Match), refused while live, taken over when
 * stale; a damaged block object found by the resume check.
 */
class S3aCommitIT {

    static S3Proxy s3;

    @org.junit.jupiter.api.BeforeAll
    static void start() throws IOException {
        s3 = S3Proxy.start(SparkTestSupport.tempDir("s3a-lock").resolve("s3"));
        s3.createBucket("lock");
    }

    @org.junit.jupiter.api.AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    static Configuration conf(boolean performance) {
        Configuration conf = new Configuration();
        s3.s3aSettings().forEach(conf::set);
        conf.set("fs.s3a.access.key", s3.accessKey());
        conf.set("fs.s3a.secret.key", s3.secretKey());
        // create.performance skips S3A's existence check before a create: only the PUT's condition is left
        conf.setBoolean("fs.s3a.create.performance", performance);
        conf.setBoolean("fs.impl.disable.cache", true);
        conf.setBoolean("fs.s3a.impl.disable.cache", true);
        return conf;
    }

    @Test
    void theLockFileIsCreatedOnceEvenWithoutS3asExistenceCheck() throws Exception {
        for (boolean performance : new boolean[] {false, true}) {
            try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://lock/"), conf(performance))) {
                Path p = new Path("s3a://lock/once-" + performance + "/_LOCK");
                OutputLock.LockFile f = OutputLock.LockFile.of(fs, p);
                assertTrue(f.createNew("first".getBytes(StandardCharsets.UTF_8)), "the first create");
                assertFalse(f.createNew("second".getBytes(StandardCharsets.UTF_8)),
                        "a second create (performance " + performance + ") replaced the lock");
                assertEquals("first", read(fs, p));
            }
        }
    }

    @Test
    void aLiveLockOnS3aRefusesAStaleOneIsTakenOver() throws Exception {
        Configuration conf = conf(false);
        Path out = new Path("s3a://lock/out");
        java.time.Duration minute = java.time.Duration.ofMinutes(1);
        try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://lock/"), conf)) {
            try (OutputLock held = OutputLock.acquire(out, conf, "run s3a", java.time.Duration.ofSeconds(2))) {
                Thread.sleep(3000); // past the timeout: only the heartbeat keeps it live
                Throwable other = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (OutputLock l = OutputLock.acquire(out, conf, "other", minute)) {
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                }).get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(other instanceof OutputLock.Held, String.valueOf(other));
                assertTrue(other.getMessage().contains("s3a://lock/out/_LOCK") && other.getMessage().contains("'run s3a'"),
                        other.getMessage());
            }
            assertFalse(fs.exists(new Path(out, OutputLock.NAME)), "the released lock is left");

            // another host's lock, its heartbeat an hour old
            write(fs, new Path(out, OutputLock.NAME), new String(new OutputLock.Holder("gone", "elsewhere.example", 7,
                    "", "run s3a", "then", System.currentTimeMillis() - 3_600_000).json(), StandardCharsets.UTF_8));
            try (OutputLock taken = OutputLock.acquire(out, conf, "run again", minute)) {
                assertTrue(read(fs, new Path(out, OutputLock.NAME)).contains("\"command\" : \"run again\""));
            }
        }
    }

    @Test
    void aDamagedBlockObjectIsFoundByTheResumeCheck() throws Exception {
        Configuration conf = conf(false);
        try (FileSystem fs = FileSystem.newInstance(URI.create("s3a://lock/"), conf)) {
            SweepLayout layout = new SweepLayout("s3a://lock/sweep-out");
            SeedBlock block = new SeedBlock("c", 0, 4);
            Path target = layout.block("c", 0, 4);
            java.util.List<FeatureParquet.Row> rows = new java.util.ArrayList<>();
            for (long s = 0; s < 4; s++) {
                rows.add(new FeatureParquet.Row(s, new float[] {s, -s}));
            }
            FeatureParquet.write(fs, target, conf, "c", 5, "euler", "edm", rows, java.util.Map.of());
            BlockCheck check = new BlockCheck(layout, new HadoopConf(conf), 2);
            assertEquals(null, check.problem(target, block), "an intact block");
            byte[] whole;
            try (InputStream in = fs.open(target)) {
                whole = in.readAllBytes();
            }
            try (OutputStream o = fs.create(target, true)) {
                o.write(java.util.Arrays.copyOf(whole, whole.length - 9));
            }
            String problem = check.problem(target, block);
            assertTrue(problem != null && problem.contains("Parquet"), "a truncated block: " + problem);
        }
    }

    @Test
    void commitOntoACommittedBlockKeepsItOnS3a() throws Exception {
        {
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
