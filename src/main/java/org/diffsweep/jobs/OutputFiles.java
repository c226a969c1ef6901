package org.diffsweep.jobs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.security.AccessControlException;
import org.diffsweep.config.ConfigException;

/**
 * The files of the offline statistics jobs ({@code norm-stats}, {@code schedule}, {@code ref-stats}) on any Hadoop
 * file system, committed by the sweep's rules: a file is written under a temporary name beside it
 * ({@code _NAME.tmp}) and renamed into place, so that no reader ever sees half of it; a directory of Parquet is
 * written whole under {@code NAME._tmp} and renamed; each job writes its final file (the table, the schedule, the
 * {@code .npz}) last, so that it exists only once everything beside it is in.
 */
public final class OutputFiles {

    /** Writes a file's bytes. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    private OutputFiles() {
    }

    /**
     * A path as the jobs write it: qualified on its file system (a path without a scheme on the default one, a
     * relative one against its working directory). Idempotent, so a path the driver qualified stays as it is.
     *
     * @throws ConfigException naming the path if it cannot be qualified
     */
    static String qualify(String out, Configuration conf) {
        try {
            return new org.diffsweep.spark.HadoopStore(conf).qualify(out);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--out " + e.getMessage());
        }
    }

    /** {@code X<suffix>} for the file {@code X<ending>} ({@code out<suffix>} if it does not end so). */
    static String sibling(String out, String ending, String suffix) {
        return (out.endsWith(ending) ? out.substring(0, out.length() - ending.length()) : out) + suffix;
    }

    /** The temporary name a file is written under before its rename: {@code _NAME.tmp} beside it. */
    static Path tmpFile(Path file) {
        return new Path(file.getParent(), "_" + file.getName() + ".tmp");
    }

    /** The temporary directory a Parquet directory is written to before its rename: {@code NAME._tmp}. */
    static Path tmpDir(Path dir) {
        return new Path(dir.getParent(), dir.getName() + "._tmp");
    }

    /**
     * Writes a file under its temporary name and renames it into place, replacing the file there. If writing
     * fails, the temporary file is removed and the file there (if any) is left as it was.
     */
    static void write(FileSystem fs, Path file, Body body) throws IOException {
        Path tmp = tmpFile(file);
        fs.mkdirs(file.getParent());
        try (OutputStream out = fs.create(tmp, true)) {
            body.write(out);
        } catch (IOException | RuntimeException e) {
            try {
                fs.delete(tmp, false);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        delete(fs, file);
        if (!fs.rename(tmp, file)) {
            throw new IOException("could not rename " + tmp + " to " + file);
        }
    }

    /** Removes a file or directory if it is there. */
    static void delete(FileSystem fs, Path path) throws IOException {
        if (fs.exists(path) && !fs.delete(path, true)) {
            throw new IOException("could not remove " + path);
        }
    }

    /**
     * Removes what an earlier run that was cut short may have left under temporary names: {@code _NAME.tmp} of
     * each of {@code files}, and the temporary directory of each of {@code dirs}. Nothing under a temporary name is
     * ever read.
     */
    static void clearTemporary(FileSystem fs, List<String> files, List<Path> dirs) throws IOException {
        for (String f : files) {
            delete(fs, tmpFile(new Path(f)));
        }
        for (Path d : dirs) {
            delete(fs, tmpDir(d));
        }
    }

    /**
     * Renames a finished temporary directory into place, replacing the directory there.
     *
     * @throws IOException if it cannot
     */
    static void commitDir(FileSystem fs, Path tmp, Path dir) throws IOException {
        delete(fs, dir);
        if (!fs.rename(tmp, dir)) {
            throw new IOException("could not rename " + tmp + " to " + dir);
        }
    }

    /** Whether a name is one Spark's Parquet writer leaves in its output directory (or this job's marker). */
    static boolean sparkOutput(String name, boolean inProgress) {
        return name.startsWith("part-") || name.startsWith(".part-") || name.equals("_SUCCESS")
                || name.equals("._SUCCESS.crc") || (inProgress && name.equals("_temporary"));
    }

    /**
     * Checks, before anything runs, that a job can write the file {@code out} and the files and directories
     * beside it: the file system must be reachable; the nearest existing ancestor of the directory must be a
     * directory this user may write in (it and the missing ones below it are made on the first write); each of
     * {@code files} that exists must be a file.
     *
     * @param what  how messages start, e.g. {@code norm-stats --out file:/runs/t.csv}
     * @param out   the qualified path of the job's final file
     * @param files every file the job writes, {@code out} among them
     * @return the file system of {@code out}
     * @throws ConfigException one line naming the path and what was expected
     */
    static FileSystem requireWritable(Configuration conf, String what, String out, List<String> files) {
        Path file = new Path(out);
        FileSystem fs;
        try {
            fs = file.getFileSystem(conf);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(what + ": " + firstLine(e) + ", expected a path on a file system this job "
                    + "can reach (local, hdfs://, s3a://, ...)");
        }
        Path dir = file.getParent();
        if (dir == null) {
            throw new ConfigException(what + ": no directory, expected a file path");
        }
        Path existing = dir;
        FileStatus status = null;
        while (existing != null) {
            try {
                status = fs.getFileStatus(existing);
                break;
            } catch (FileNotFoundException e) {
                existing = existing.getParent();
            } catch (IOException | RuntimeException e) {
                throw new ConfigException(what + ": cannot reach " + existing + " (" + firstLine(e) + "), expected a "
                        + "reachable, writable directory");
            }
        }
        if (status == null) {
            throw new ConfigException(what + ": no existing parent directory of " + dir + ", expected a writable "
                    + "directory");
        }
        if (!status.isDirectory()) {
            throw new ConfigException(what + ": cannot create the directory " + dir + ": " + existing + " is a file, "
                    + "expected a writable directory");
        }
        try {
            fs.access(existing, FsAction.WRITE);
        } catch (AccessControlException e) {
            throw new ConfigException(what + ": " + existing + " is not writable (" + status.getPermission() + ", "
                    + "owner " + status.getOwner() + "), expected a writable directory");
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(what + ": cannot check " + existing + " (" + firstLine(e) + "), expected a "
                    + "writable directory");
        }
        for (String f : files) {
            Path p = new Path(f);
            try {
                if (fs.exists(p) && !fs.getFileStatus(p).isFile()) {
                    throw new ConfigException(what + ": " + p + " exists and is not a file, expected a writable file "
                            + "(or none)");
                }
            } catch (IOException e) {
                throw new ConfigException(what + ": cannot check " + p + " (" + firstLine(e) + "), expected a "
                        + "writable file (or none)");
            }
        }
        return fs;
    }

    /**
     * Checks that a directory of Parquet from an earlier run (committed or still temporary) can be replaced: if it
     * exists it must be a directory holding only what Spark's Parquet writer leaves there (in a temporary one,
     * also Spark's {@code _temporary} of a write that was cut short) and the {@code markers} this job writes.
     *
     * @throws ConfigException one line naming the path and what was expected
     */
    static void requireReplaceable(FileSystem fs, String what, Path dir, boolean temporary, List<String> markers) {
        String problem = null;
        try {
            if (!fs.exists(dir)) {
                return;
            }
            FileStatus status = fs.getFileStatus(dir);
            if (!status.isDirectory()) {
                problem = "is not a directory";
            } else {
                for (FileStatus entry : fs.listStatus(dir)) {
                    String name = entry.getPath().getName();
                    boolean known = markers.stream().anyMatch(m -> name.equals(m) || name.equals("." + m + ".crc"));
                    boolean spark = sparkOutput(name, temporary) && (entry.isFile() || name.equals("_temporary"));
                    if (!known && !spark) {
                        problem = "holds " + name + ", which is not Spark's Parquet output";
                        break;
                    }
                }
            }
        } catch (IOException e) {
            problem = "cannot be listed (" + firstLine(e) + ")";
        }
        if (problem != null) {
            throw new ConfigException(what + ": " + dir + " from an earlier run " + problem + ", expected a "
                    + "directory of Parquet it can replace (remove it, or choose another --out)");
        }
    }

    /** The first line of an exception's message, or its class when it has none. */
    static String firstLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return e.getClass().getSimpleName() + ": " + m.lines().findFirst().orElse(m);
    }
}
