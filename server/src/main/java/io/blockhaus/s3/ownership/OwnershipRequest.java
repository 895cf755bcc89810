package io.blockhaus.s3.ownership;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * How a server asks for a volume.
 *
 * @param serverId        names this server in the manifest (host and process; for operators)
 * @param sizeIfNew       the size of a volume that does not exist yet; empty: it must exist
 * @param objectSizeIfNew object size of a new volume
 * @param pageSizeIfNew   page size of a new volume (an existing volume keeps its own geometry)
 * @param readOnly        open without taking ownership
 * @param lease           how long an owner's lease lasts without renewal; at least
 *                        {@code 3 x requestTimeout + 1 s} (see {@link #minimumLease})
 * @param unfenced        the operator accepts a store that does not refuse a second create
 *                        ({@code --s3-unfenced}): ownership is then advisory
 * @param requestTimeout  the longest one object store call can take, every attempt and retry
 *                        included (S3Settings.requestTimeout, which AwsObjectStore applies to the
 *                        whole call): an owner starts a data request only if it will have timed out
 *                        before its lease ends
 */
public record OwnershipRequest(String serverId, OptionalLong sizeIfNew, int objectSizeIfNew, int pageSizeIfNew,
                               boolean readOnly, Duration lease, boolean unfenced, Duration requestTimeout) {

    /** The shortest lease {@code requestTimeout} allows: open refuses a shorter one. */
    public static Duration minimumLease(Duration requestTimeout) {
        return LeaseTiming.minimumLease(requestTimeout);
    }
}
