/**
 * Volumes kept in S3-compatible object storage: the third kind of backing store, for volumes that
 * outgrow one machine. The page cache, the pagecache lock and both front ends are unchanged; only
 * where a volume's bytes live differs.
 *
 * <p>Three parts, each in its own package, with one seam between each (docs/s3.md is the contract):
 * <ul>
 *   <li>{@link io.blockhaus.s3.objects}: talking to an object store ({@code ObjectStore}: get,
 *       ranged get, put, create-only put, delete, head, list), over the AWS SDK or in memory.</li>
 *   <li>{@link io.blockhaus.s3.stripes}: a {@link io.blockhaus.engine.store.BackingStore} striped
 *       over fixed-size objects, missing objects being holes.</li>
 *   <li>{@link io.blockhaus.s3.ownership}: the manifest (geometry and owner), the lease, fencing
 *       by epoch with create-only writes, and takeover by another server.</li>
 * </ul>
 * The engine never imports any of it; the server wires an s3 export from these parts.
 */
package io.blockhaus.s3;
