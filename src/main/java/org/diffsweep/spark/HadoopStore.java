package org.diffsweep.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.diffsweep.io.Store;

/**
 * A {@link Store} over every Hadoop file system. A path without a scheme is qualified on the default file system
 * ({@code fs.defaultFS}: the local disk in local mode, HDFS on most clusters), a relative one against that file
 * system's working directory (the driver's working directory on the local disk).
 */
public final class HadoopStore implements Store {

    private final Configuration conf;

    public HadoopStore(Configuration conf) {
        this.conf = conf;
    }

    /**
     * The driver's Hadoop configuration before Spark starts: the site files on the class path, plus every
     * {@code spark.hadoop.*} setting spark-submit (or {@code -D}) gave the driver JVM, as Spark itself will apply
     * them.
     */
    public static Configuration driverConf() {
        Configuration c = new Configuration();
        // file: without a chmod process per created file (ForklessLocalFileSystem), unless a site file names another
        // implementation; a -Dspark.hadoop.fs.file.impl below overrides both.
        if (c.get(ForklessLocalFileSystem.IMPL_KEY) == null) {
            c.set(ForklessLocalFileSystem.IMPL_KEY, ForklessLocalFileSystem.class.getName());
        }
        for (Map.Entry<Object, Object> e : System.getProperties().entrySet()) {
            String key = e.getKey().toString();
            if (key.startsWith("spark.hadoop.") && e.getValue() != null) {
                c.set(key.substring("spark.hadoop.".length()), e.getValue().toString());
            }
        }
        return c;
    }

    public Configuration conf() {
        return conf;
    }

    @Override
    public String qualify(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("path '" + path + "', expected a file path");
        }
        String shown = redact(path);
        Path p;
        try {
            p = new Path(path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(shown + ": not a valid path (" + redact(firstLine(e)) + ")");
        }
        if (hasSecret(path)) {
            // Refused before Hadoop sees it: its own warning would log the whole URI.
            throw new IllegalArgumentException(shown + ": a secret in the path, expected the credentials where "
                    + "Hadoop and the AWS SDK look for them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                    + "spark.hadoop.fs.s3a.access.key and spark.hadoop.fs.s3a.secret.key)");
        }
        try {
            return p.getFileSystem(conf).makeQualified(p).toString();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(shown + ": " + redact(firstLine(e)) + ", expected a path on a file "
                    + "system this job can reach (local, hdfs://, s3a://, ...)");
        }
    }

    /**
     * Whether a path carries a password, {@code scheme://user:password@host/...}, also one with an unencoded '/'
     * (which a URI parser reads as a host and a port): a user part with no '/' and a ':', then an '@', where what
     * follows the ':' up to any '/' is not a port number.
     */
    static boolean hasSecret(String path) {
        int start = path.indexOf("://");
        int at = start < 0 ? -1 : path.indexOf('@', start + 3);
        if (at < 0) {
            return false;
        }
        String user = path.substring(start + 3, at);
        int colon = user.indexOf(':');
        if (colon < 0 || user.substring(0, colon).contains("/")) {
            return false;
        }
        String rest = user.substring(colon + 1);
        int slash = rest.indexOf('/');
        return slash < 0 || !rest.substring(0, slash).matches("\\d+");
    }

    /** A text with the password of any {@code scheme://user:password@host} in it masked, for messages. */
    static String redact(String text) {
        return text.replaceAll("(://[^/@:\\s]*):[^@\\s]*@", "$1:***@");
    }

    @Override
    public boolean exists(String path) throws IOException {
        Path p = new Path(path);
        return p.getFileSystem(conf).exists(p);
    }

    @Override
    public InputStream open(String path) throws IOException {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        try {
            return fs.open(p);
        } catch (FileNotFoundException e) {
            if (fs.exists(p) && fs.getFileStatus(p).isDirectory()) {
                throw new IOException("it is a directory, expected a file");
            }
            throw new java.nio.file.NoSuchFileException(path);
        }
    }

    /** The first line of an exception's message, or its class when it has none. */
    static String firstLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m.lines().findFirst().orElse(m);
    }
}
