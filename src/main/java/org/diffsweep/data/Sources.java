package org.diffsweep.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Opens data set files on any Hadoop file system (local, hdfs://, s3a://), gunzipping {@code .gz} files. */
final class Sources implements Serializable {

    private static final long serialVersionUID = 1L;

    private final HashMap<String, String> conf = new HashMap<>();

    Sources(Configuration configuration) {
        for (Map.Entry<String, String> e : configuration) {
            conf.put(e.getKey(), e.getValue());
        }
    }

    Configuration conf() {
        Configuration c = new Configuration(false);
        conf.forEach(c::set);
        return c;
    }

    FileSystem fs(String path) throws IOException {
        return new Path(path).getFileSystem(conf());
    }

    InputStream open(String path) throws IOException {
        InputStream in = new BufferedInputStream(fs(path).open(new Path(path)), 1 << 16);
        if (!path.endsWith(".gz")) {
            return in;
        }
        try {
            return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            in.close();
            throw new IOException(path + ": not a gzip file (" + e.getMessage() + "), expected a .gz file as gzip "
                    + "writes it");
        }
    }

    static void skipFully(InputStream in, long n, String what) throws IOException {
        long left = n;
        while (left > 0) {
            long k = in.skip(left);
            if (k <= 0) {
                if (in.read() < 0) {
                    throw new IOException(what + ": ends early");
                }
                k = 1;
            }
            left -= k;
        }
    }

    static byte[] readFully(InputStream in, int n, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new IOException(what + ": ends early (" + b.length + " of " + n + " bytes)");
        }
        return b;
    }
}
