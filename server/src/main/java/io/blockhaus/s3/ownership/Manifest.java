package io.blockhaus.s3.ownership;

import io.blockhaus.s3.VolumeGeometry;

/**
 * One version of a volume's manifest: its geometry and who owns it. Each version is its own object,
 * {@code manifest/<20-digit version>}, created only if absent; the highest version is current
 * (docs/s3.md, "Ownership").
 *
 * <p>An epoch is one server's tenure: the server that takes the volume writes {@code epoch + 1},
 * and only it ever writes that epoch again (renewals, resizes, its release). So "a version with my
 * epoch" means "written by me", and a version with a higher epoch means someone took over.
 *
 * @param format      {@link #FORMAT}; a newer format is refused, never guessed at
 * @param version     the number in the object's name (checked against it when read)
 * @param epoch       the owner's tenure, 1 for the creator
 * @param owner       the owner's server id (for operators; never used for decisions)
 * @param state       {@link State#OWNED}: the owner renews its lease by writing the next version;
 *                    {@link State#RELEASED}: the owner gave the volume up cleanly
 * @param leaseMillis how long this version's lease lasts from its writing, by the owner's rules
 * @param quietMillis in a release: how long after the release was written its writer's last data
 *                    requests could still land (a duration, never a time of day); 0 otherwise
 * @param size        the volume's size in bytes
 * @param objectSize  bytes per data object
 * @param pageSize    page size the volume was created with
 */
record Manifest(int format, long version, long epoch, String owner, State state, long leaseMillis, long quietMillis,
                long size, int objectSize, int pageSize) {

    static final int FORMAT = 1;

    enum State { OWNED, RELEASED }

    Manifest {
        if (version < 1 || epoch < 1 || leaseMillis < 1 || quietMillis < 0) {
            throw new IllegalArgumentException("bad manifest: version " + version + ", epoch " + epoch
                    + ", lease " + leaseMillis + " ms, quiet " + quietMillis + " ms");
        }
        geometry(size, objectSize, pageSize); // validates
    }

    private static VolumeGeometry geometry(long size, int objectSize, int pageSize) {
        return new VolumeGeometry(size, objectSize, pageSize);
    }

    VolumeGeometry geometry() {
        return geometry(size, objectSize, pageSize);
    }

    /** The next version, written by the same owner, still owned (a renewal, or a resize). */
    Manifest renewed(long newSize, long leaseMillis) {
        return new Manifest(FORMAT, version + 1, epoch, owner, State.OWNED, leaseMillis, 0, newSize, objectSize, pageSize);
    }

    /** The next version, released by its owner. */
    Manifest released(long newSize, long quietMillis) {
        return new Manifest(FORMAT, version + 1, epoch, owner, State.RELEASED, leaseMillis, quietMillis, newSize,
                objectSize, pageSize);
    }

    /** The next version, taken by a new owner: the next epoch. */
    Manifest takenBy(String newOwner, long leaseMillis) {
        return new Manifest(FORMAT, version + 1, epoch + 1, newOwner, State.OWNED, leaseMillis, 0, size, objectSize,
                pageSize);
    }

    /** Version 1 of a new volume. */
    static Manifest created(String owner, long leaseMillis, VolumeGeometry geometry) {
        return new Manifest(FORMAT, 1, 1, owner, State.OWNED, leaseMillis, 0, geometry.size(), geometry.objectSize(),
                geometry.pageSize());
    }
}
