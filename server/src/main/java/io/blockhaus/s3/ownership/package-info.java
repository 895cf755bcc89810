/**
 * Who may write a volume kept in object storage: its manifest (geometry and owner, one object per
 * version, each created only if absent), the owner's lease, fencing by epoch, and takeover by
 * another server once the lease expired or the owner released it.
 *
 * <p>{@link io.blockhaus.s3.ownership.VolumeOwnerships#open} is the one entry point: it probes once
 * per bucket whether the store refuses a second create, reads the newest manifest version, and
 * either creates the volume, takes it (released, or its lease expired by the store's clock) or
 * opens it read-only. Its design essay argues why two owners' writes never interleave. Inside:
 * {@code Manifest} and {@code ManifestJson} (a version and its JSON), {@code ManifestLog} (the
 * versions in the bucket), {@code LeaseTiming} (every bound and margin), {@code OwnerLease} (an
 * owner's tenure: the checks before writes, renewals, resize, release, fencing),
 * {@code ReadOnlyOwnership}, and {@code LeaseClock} (the clocks, injected by tests). docs/s3.md,
 * "Ownership", is the operator's view.
 */
package io.blockhaus.s3.ownership;
