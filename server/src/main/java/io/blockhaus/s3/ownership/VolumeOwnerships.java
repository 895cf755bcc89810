package io.blockhaus.s3.ownership;

import io.blockhaus.s3.objects.ObjectStore;

/**
 * PLACEHOLDER (foundation commit): ownership is built on branch s9-s3owner. The signature of
 * {@link #open} is the seam the server's wiring uses; keep it.
 */
public final class VolumeOwnerships {

    /**
     * Opens (or creates) the volume under {@code root} (ending in '/'): reads its manifest, takes
     * ownership or falls back to read-only, starts renewing the lease.
     */
    public OwnedVolume open(ObjectStore objects, String root, OwnershipRequest request) {
        throw new UnsupportedOperationException("s3 ownership is not built yet");
    }
}
