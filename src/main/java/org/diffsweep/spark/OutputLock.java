package org.diffsweep.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.diffsweep.config.ConfigException;

/**
 * One run at a time per output directory: the lock file {@code <output>/_LOCK} names its holder (host, pid, the
 * process's start time, the command, when it started) and a heartbeat, which a thread of the holder rewrites every
 * {@code timeout / 10} (30 s at most) while the run holds the output.
 *
 * <p>A run creates the file only if there is none, atomically: on the local disk with {@code O_CREAT|O_EXCL}
 * ({@link StandardOpenOption#CREATE_NEW}), on HDFS with {@code create(overwrite=false)} (the name node decides), on
 * S3A with a conditional PUT ({@code If-None-Match: *}, hadoop-aws's {@code fs.option.create.conditional.overwrite};
 * a store that ignores the condition leaves the window between S3A's existence check and the PUT, after which the
 * creator reads the lock back and only the run it names goes on). A run that finds a live lock is refused
 * ({@link Held}, one line naming the holder). A lock is stale, and taken over with a warning, when its heartbeat is
 * older than the timeout ({@code spark.diffsweep.lock.timeout}, default {@value #DEFAULT_TIMEOUT_S} s), or when
 * it names a process on this host that is gone (or whose pid now belongs to a process started at another time).
 * Two runs that find the same stale lock at once: each first creates {@code _LOCK.takeover} (atomically, as the lock),
 * so one of them replaces it and the other then finds the new, live lock.
 *
 * <p>The lock is re-entrant for the thread that holds it (run holds it across sweep, fid and metrics); another
 * thread of the same JVM is refused as another process would be.
 */
public final class OutputLock implements AutoCloseable {

    /** Seconds without a heartbeat after which a lock is stale. */
    public static final long DEFAULT_TIMEOUT_S = 300;
    /** The Spark setting of the timeout ({@code 300s}, {@code 5min}, ...). */
    public static final String TIMEOUT_KEY = "spark.diffsweep.lock.timeout";
    /** The lock file's name in the output directory. */
    public static final String NAME = "_LOCK";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, OutputLock> HELD = new ConcurrentHashMap<>();

    /** Refusal: another run holds the output. */
    public static final class Held extends ConfigException {
        private static final long serialVersionUID = 1L;

        Held(String message) {
            super(message);
        }
    }

    /** The holder named by a lock file. */
    record Holder(String id, String host, long pid, String processStart, String command, String started,
                  long heartbeatMillis) {

        static Holder parse(byte[] bytes) {
            try {
                JsonNode n = JSON.readTree(bytes);
                if (n == null || !n.has("id") || !n.has("heartbeat_ms")) {
                    return null;
                }
                return new Holder(n.path("id").asText(), n.path("host").asText("?"), n.path("pid").asLong(-1),
                        n.path("process_start").asText(""), n.path("command").asText("?"), n.path("started").asText("?"),
                        n.path("heartbeat_ms").asLong());
            } catch (IOException e) {
                return null; // half-written (a reader between a create and its write): the caller looks again
            }
        }

        byte[] json() {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", id).put("host", host).put("pid", pid).put("process_start", processStart)
                    .put("command", command).put("started", started).put("heartbeat_ms", heartbeatMillis)
                    .put("heartbeat", Instant.ofEpochMilli(heartbeatMillis).toString());
            try {
                return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        Holder beat(long now) {
            return new Holder(id, host, pid, processStart, command, started, now);
        }

        String describe(long now) {
            return "pid " + pid + " on " + host + " ('" + command + "', started " + started + ", last heartbeat "
                    + Math.max(0, (now - heartbeatMillis) / 1000) + " s ago)";
        }
    }

    private final Path path;
    private final LockFile file;
    private final Holder me;
    private final Thread owner;
    private final ScheduledExecutorService heartbeat;
    private int depth = 1;
    private volatile String lost;

    private OutputLock(Path path, LockFile file, Holder me, long intervalMillis) {
        this.path = path;
        this.file = file;
        this.me = me;
        this.owner = Thread.currentThread();
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "diffsweep-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleWithFixedDelay(this::beat, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes the lock of an output directory for {@code command}, or joins the calling thread's hold of it.
     *
     * @param timeout how old a heartbeat may be before the lock is stale
     * @throws Held one line naming the holder, if another run holds the output
     */
    public static OutputLock acquire(Path output, Configuration conf, String command, Duration timeout)
            throws IOException {
        FileSystem fs = output.getFileSystem(conf);
        Path path = new Path(fs.makeQualified(output), NAME);
        String key = path.toString();
        OutputLock mine = HELD.get(key);
        if (mine != null && mine.owner == Thread.currentThread()) {
            synchronized (mine) {
                mine.depth++;
            }
            return mine;
        }
        LockFile file = LockFile.of(fs, path);
        LockFile takeover = LockFile.of(fs, new Path(path.getParent(), NAME + ".takeover"));
        long timeoutMs = timeout.toMillis();
        for (int attempt = 0; ; attempt++) {
            long now = System.currentTimeMillis();
            Holder me = new Holder(UUID.randomUUID().toString(), Host.NAME, ProcessHandle.current().pid(),
                    Host.START, command, Instant.ofEpochMilli(now).toString(), now);
            if (file.createNew(me.json())) {
                Holder read = Holder.parse(file.read());
                if (read != null && read.id().equals(me.id())) {
                    OutputLock lock = new OutputLock(path, file, me, Math.max(100, Math.min(30_000, timeoutMs / 10)));
                    HELD.put(key, lock);
                    return lock;
                }
                // A store without an atomic create let another run's lock overwrite ours: that run goes on.
            }
            byte[] bytes = file.read();
            if (bytes == null) {
                continue; // released (or taken over) between our create and our read: try again
            }
            Holder holder = Holder.parse(bytes);
            if (holder == null) {
                if (attempt < 20) {
                    sleep(100); // being written
                    continue;
                }
                long age = now - file.modified();
                if (age < timeoutMs) {
                    throw new Held("output " + output + " is in use: its lock " + path + " is unreadable and "
                            + age / 1000 + " s old, expected one run per output (remove the lock if no run holds it)");
                }
                holder = new Holder("?", "?", -1, "", "unreadable lock file", "?", file.modified());
            }
            String stale = staleness(holder, now, timeoutMs);
            if (stale == null) {
                throw new Held("output " + output + " is in use by another run: " + holder.describe(now)
                        + "; expected one run per output directory (wait for it, or remove " + path
                        + " if that run is gone)");
            }
            if (attempt > 50) {
                throw new IOException("could not take over the stale lock " + path + " (" + stale + ")");
            }
            if (!takeover.createNew(me.json())) {
                if (now - takeover.modified() > timeoutMs) {
                    takeover.delete(); // left by a run that died taking over
                }
                sleep(200);
                continue;
            }
            try {
                byte[] current = file.read();
                Holder again = current == null ? null : Holder.parse(current);
                boolean unchanged = current != null && (again == null ? holder.id().equals("?")
                        : again.id().equals(holder.id()) && again.heartbeatMillis() == holder.heartbeatMillis());
                if (unchanged) {
                    System.err.println("diffsweep: warning: taking over the stale lock " + path + " of "
                            + holder.describe(now) + ": " + stale);
                    file.delete();
                }
            } finally {
                takeover.delete();
            }
        }
    }

    /** Why a lock is stale, or null if its holder is live. */
    static String staleness(Holder h, long now, long timeoutMs) {
        long age = now - h.heartbeatMillis();
        if (age > timeoutMs) {
            return "no heartbeat for " + age / 1000 + " s (the timeout is " + timeoutMs / 1000 + " s, "
                    + TIMEOUT_KEY + ")";
        }
        if (h.host().equals(Host.NAME)) {
            Optional<ProcessHandle> p = ProcessHandle.of(h.pid());
            if (p.isEmpty() || !p.get().isAlive()) {
                return "its process " + h.pid() + " on this host is gone";
            }
            String start = p.get().info().startInstant().map(Instant::toString).orElse("");
            if (!h.processStart().isEmpty() && !start.isEmpty() && !start.equals(h.processStart())) {
                return "its process " + h.pid() + " on this host is gone (the pid now belongs to a process started "
                        + start + ")";
            }
        }
        return null;
    }

    /** The lock file. */
    public Path path() {
        return path;
    }

    /**
     * Throws if this run no longer holds the output (its lock was taken over while it was stalled for longer than
     * the timeout), so that it does not mark outputs complete that another run is writing.
     */
    public void check() throws IOException {
        if (lost != null) {
            throw new IOException("output " + path.getParent() + ": this run's lock was " + lost
                    + ", expected to hold it until the end; not marking anything complete");
        }
    }

    private void beat() {
        try {
            Holder now = Holder.parse(Optional.ofNullable(file.read()).orElse(new byte[0]));
            if (now == null || !now.id().equals(me.id())) {
                lost = now == null ? "removed" : "taken over by " + now.describe(System.currentTimeMillis());
                System.err.println("diffsweep: warning: " + path + ": this run's lock was " + lost);
                heartbeat.shutdown();
                return;
            }
            file.replace(me.beat(System.currentTimeMillis()).json());
        } catch (IOException | RuntimeException e) {
            System.err.println("diffsweep: warning: could not refresh the lock " + path + " (" + firstLine(e)
                    + "); retrying");
        }
    }

    /** Releases this hold; the last one stops the heartbeat and removes the lock file if it is still this run's. */
    @Override
    public void close() {
        synchronized (this) {
            if (--depth > 0) {
                return;
            }
        }
        HELD.remove(path.toString(), this);
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(10, TimeUnit.SECONDS);
            Holder now = Holder.parse(Optional.ofNullable(file.read()).orElse(new byte[0]));
            if (now != null && now.id().equals(me.id())) {
                file.delete();
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("diffsweep: warning: could not remove the lock " + path + " (" + firstLine(e)
                    + "); the next run takes it over once this process is gone");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a lock", e);
        }
    }

    /** This host and this process's start, as a lock records them. */
    static final class Host {
        static final String NAME = name();
        static final String START = ProcessHandle.current().info().startInstant().map(Instant::toString).orElse("");

        private static String name() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
            }
        }
    }

    /** A small file created only if absent, read, replaced whole, removed. */
    abstract static class LockFile {

        static LockFile of(FileSystem fs, Path path) {
            if (fs instanceof LocalFileSystem local) {
                return new Local(local.pathToFile(path).toPath());
            }
            if (fs instanceof RawLocalFileSystem raw) {
                return new Local(raw.pathToFile(path).toPath());
            }
            return new Hadoop(fs, path);
        }

        /** Creates the file with these bytes if there is none; false if there is one. */
        abstract boolean createNew(byte[] bytes) throws IOException;

        /** The file's bytes, or null if there is none. */
        abstract byte[] read() throws IOException;

        abstract void replace(byte[] bytes) throws IOException;

        abstract void delete() throws IOException;

        /** Last modified, epoch milliseconds (0 if gone). */
        abstract long modified() throws IOException;
    }

    /** The local disk, through java.nio: no checksum sidecar, an exclusive create, an atomic replace. */
    static final class Local extends LockFile {
        private final java.nio.file.Path file;

        Local(java.nio.file.Path file) {
            this.file = file;
        }

        @Override
        boolean createNew(byte[] bytes) throws IOException {
            Files.createDirectories(file.getParent());
            try {
                Files.write(file, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            }
        }

        @Override
        byte[] read() throws IOException {
            try {
                return Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        @Override
        void replace(byte[] bytes) throws IOException {
            java.nio.file.Path tmp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }

        @Override
        void delete() throws IOException {
            Files.deleteIfExists(file);
        }

        @Override
        long modified() throws IOException {
            try {
                return Files.getLastModifiedTime(file).toMillis();
            } catch (NoSuchFileException e) {
                return 0;
            }
        }
    }

    /** Any Hadoop file system; on S3A the create is a conditional PUT. */
    static final class Hadoop extends LockFile {
        /** hadoop-aws's option for {@code If-None-Match: *} on the PUT of a created file. */
        static final String CONDITIONAL = "fs.option.create.conditional.overwrite";

        private final FileSystem fs;
        private final Path path;

        Hadoop(FileSystem fs, Path path) {
            this.fs = fs;
            this.path = path;
        }

        @Override
        boolean createNew(byte[] bytes) throws IOException {
            if (fs.exists(path)) {
                return false; // the usual case, without a failed PUT in S3A's log
            }
            try (OutputStream out = (OutputStream) fs.createFile(path).overwrite(false).recursive()
                    .opt(CONDITIONAL, true).build()) {
                out.write(bytes);
            } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
                return false;
            } catch (IOException e) {
                // S3A: 412 Precondition Failed on the conditional PUT (another run's object is there).
                if (e.getClass().getSimpleName().equals("RemoteFileChangedException") || fs.exists(path)) {
                    return false;
                }
                throw e;
            }
            return true;
        }

        @Override
        byte[] read() throws IOException {
            try (var in = fs.open(path)) {
                return in.readAllBytes();
            } catch (FileNotFoundException e) {
                return null;
            }
        }

        @Override
        void replace(byte[] bytes) throws IOException {
            try (OutputStream out = fs.create(path, true)) {
                out.write(bytes);
            }
        }

        @Override
        void delete() throws IOException {
            fs.delete(path, false);
        }

        @Override
        long modified() throws IOException {
            try {
                return fs.getFileStatus(path).getModificationTime();
            } catch (FileNotFoundException e) {
                return 0;
            }
        }
    }
}
