package org.diffsweep.s3;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: s3proxy (target/test-servers/s3proxy.jar, copied there by the build) as a child
 * JVM on 127.0.0.1, a free port, its filesystem backend in a folder of the caller's, and a random access key and
 * secret. Its Jackson and Jetty never meet Spark's: it runs in its own JVM.
 *
 * <p>{@link #kill()} ends the server abruptly (SIGKILL, as a crash), {@link #start()} brings it back on the same
 * port, folder and keys, so a client sees the same bucket with what was committed before. {@link #close()} (and a
 * shutdown hook, should the test JVM end first) stops exactly the process this object started.
 */
public final class S3Proxy implements AutoCloseable {

    /** Where the build puts the server (maven-dependency-plugin, process-test-resources). */
    public static final Path JAR = Path.of("target/test-servers/s3proxy.jar");

    private static final Duration STARTUP = Duration.ofSeconds(90);

    private final Path data;
    private final Path properties;
    private final Path log;
    private final int port;
    private final String accessKey;
    private final String secretKey;
    private final Thread hook;
    private Process process;
    private int starts;

    private S3Proxy(Path dir) throws IOException {
        this.data = Files.createDirectories(dir.resolve("data"));
        Path server = Files.createDirectories(dir.resolve("server"));
        this.properties = server.resolve("s3proxy.properties");
        this.log = server.resolve("s3proxy.log");
        this.port = freePort();
        this.accessKey = "AKIA" + random(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
        this.secretKey = random(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("s3proxy.endpoint", endpoint());
        p.put("s3proxy.authorization", "aws-v2-or-v4");
        p.put("s3proxy.identity", accessKey);
        p.put("s3proxy.credential", secretKey);
        p.put("jclouds.provider", "filesystem");
        p.put("jclouds.filesystem.basedir", data.toAbsolutePath().toString());
        StringBuilder text = new StringBuilder();
        p.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(properties, text);
        this.hook = new Thread(this::destroy, "s3proxy-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Starts a server whose objects live under {@code dir/data}; its properties (with the secret) and log are
     * under {@code dir/server}.
     */
    public static S3Proxy start(Path dir) throws IOException {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR + " is absent: run 'mvn process-test-resources' (the build copies "
                    + "org.gaul:s3proxy there)");
        }
        S3Proxy s3 = new S3Proxy(dir);
        try {
            s3.start();
        } catch (IOException | RuntimeException e) {
            s3.close();
            throw e;
        }
        return s3;
    }

    /** Starts the server (again, after {@link #kill()} or {@link #stop()}) and waits until it answers. */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("s3proxy is already running (pid " + process.pid() + ")");
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar",
                JAR.toAbsolutePath().toString(), "--properties", properties.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        Files.writeString(log, "---- start " + (++starts) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        process = pb.start();
        awaitUp();
    }

    /** Ends the server like a crash (SIGKILL) and waits until it is gone. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitGone(process);
        }
    }

    /** Ends the server (SIGTERM, then SIGKILL after 10 s) and waits until it is gone. */
    public synchronized void stop() {
        destroy();
    }

    @Override
    public synchronized void close() {
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    private synchronized void destroy() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        waitGone(p);
    }

    private static void waitGone(Process p) {
        try {
            p.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("s3proxy (pid " + p.pid() + ") did not end", e);
        }
    }

    /** Polls until any HTTP answer comes back (403 for an anonymous request), or fails with the log's tail. */
    private void awaitUp() throws IOException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("s3proxy exited with " + process.exitValue() + " before answering on " + port
                        + "; log:\n" + logTail());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
                c.setConnectTimeout(500);
                c.setReadTimeout(2000);
                int code = c.getResponseCode();
                c.disconnect();
                if (code > 0) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for s3proxy", e);
            }
        }
        destroy();
        throw new IOException("s3proxy did not answer on " + endpoint() + " within " + STARTUP.toSeconds()
                + " s; log:\n" + logTail());
    }

    /** The last lines of the server's log. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** A client of this server (path-style, any region); close it after use. */
    public S3Client client() {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .build();
    }

    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(bucket));
        }
    }

    public void put(String bucket, String key, Path file) {
        try (S3Client s3 = client()) {
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
        }
    }

    /**
     * The S3A settings of a client of this server, without credentials (those come from the environment or
     * separate keys): the endpoint, path-style access, a region, no TLS.
     */
    public Map<String, String> s3aSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("fs.s3a.endpoint", endpoint());
        m.put("fs.s3a.endpoint.region", "us-east-1");
        m.put("fs.s3a.path.style.access", "true");
        m.put("fs.s3a.connection.ssl.enabled", "false");
        return m;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    /** The backend's folder: one sub-folder per bucket, one file per object. */
    public Path data() {
        return data;
    }

    /** The server's own files: its properties (which hold the secret) and its log. */
    public Path serverDir() {
        return properties.getParent();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The server's pid, or -1 when it has not started. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static String random(int n, String alphabet) {
        SecureRandom r = new SecureRandom();
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
