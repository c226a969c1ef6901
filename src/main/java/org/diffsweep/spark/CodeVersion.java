package org.diffsweep.spark;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The code version written into every output: project version and the git commit it was built from. */
public final class CodeVersion {

    private static final String VALUE = load();

    private CodeVersion() {
    }

    public static String get() {
        return VALUE;
    }

    private static String load() {
        Properties p = new Properties();
        try (InputStream in = CodeVersion.class.getResourceAsStream("/diffsweep-git.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to "unknown"
        }
        String version = p.getProperty("git.build.version", "unknown");
        String commit = p.getProperty("git.commit.id.abbrev", "unknown");
        boolean dirty = Boolean.parseBoolean(p.getProperty("git.dirty", "false"));
        return "diffsweep " + version + " (" + commit + (dirty ? ", dirty" : "") + ")";
    }
}
