package org.diffsweep.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system ({@code file:}, with its checksum files), setting permissions through java.nio.
 *
 * <p>Without Hadoop's native library, which the distribution does not ship, {@link RawLocalFileSystem} sets the
 * permissions of every file it creates by starting a {@code chmod} process: two per file with its checksum
 * sidecar, 24 for one fid stage's outputs, a few tenths of a second. This sets the same permission bits with
 * {@link Files#setPosixFilePermissions}, and leaves the rest to Hadoop's own code: what it cannot express there
 * (a sticky bit, a file system without POSIX permissions) still goes Hadoop's way.
 */
public final class ForklessLocalFileSystem extends LocalFileSystem {

    /** The Hadoop key that names the {@code file:} implementation. */
    public static final String IMPL_KEY = "fs.file.impl";

    public ForklessLocalFileSystem() {
        super(new Raw());
    }

    /** The raw (checksum-free) local file system, with the same permissions setting. */
    public static final class Raw extends RawLocalFileSystem {
        @Override
        public void setPermission(Path p, FsPermission permission) throws IOException {
            if (permission.getStickyBit()) {
                super.setPermission(p, permission);
                return;
            }
            try {
                Files.setPosixFilePermissions(pathToFile(p).toPath(), posix(permission));
            } catch (UnsupportedOperationException e) {
                super.setPermission(p, permission);
            }
        }
    }

    /** The nine permission bits of {@code permission} as java.nio names them. */
    static Set<PosixFilePermission> posix(FsPermission permission) {
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        add(out, permission.getUserAction(), PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE);
        add(out, permission.getGroupAction(), PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE);
        add(out, permission.getOtherAction(), PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        return out;
    }

    private static void add(Set<PosixFilePermission> out, FsAction action, PosixFilePermission read,
                            PosixFilePermission write, PosixFilePermission execute) {
        if (action.implies(FsAction.READ)) {
            out.add(read);
        }
        if (action.implies(FsAction.WRITE)) {
            out.add(write);
        }
        if (action.implies(FsAction.EXECUTE)) {
            out.add(execute);
        }
    }
}
