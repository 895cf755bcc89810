package io.blockhaus.s3.ownership;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * How a server asks for a volume.
 *
 * @param serverId        names this server in the manifest (host and process; for operators)
 * @param sizeIfNew       the size of a volume that does not exist yet; empty: it must exist
 * @param objectSizeIfNew object size of a new volume
 * @param pageSizeIfNew   page size of a new volume
 * @param readOnly        open without taking ownership
 * @param lease           how long an owner's lease lasts without renewal
 * @param unfenced        the operator accepts a store that does not refuse a second create
 *                        ({@code --s3-unfenced}): ownership is then advisory
 */
public record OwnershipRequest(String serverId, OptionalLong sizeIfNew, int objectSizeIfNew, int pageSizeIfNew,
                               boolean readOnly, Duration lease, boolean unfenced) {
}
