/**
 * A {@link io.blockhaus.engine.store.BackingStore} striped over fixed-size objects of an
 * {@link io.blockhaus.s3.objects.ObjectStore}: object {@code i} holds bytes
 * {@code [i * objectSize, (i + 1) * objectSize)}; a missing object is a hole.
 *
 * <p>{@link io.blockhaus.s3.stripes.StripedStore} is the store (its essay argues the design);
 * {@code ObjectStaging} holds the objects written and not yet stored and uploads them with a
 * bounded pool; {@code StripedReads}, {@code StripedChanges} and {@code StripedExtents} do the
 * store's reads, its writes / clears / trims, and its allocation map, object by object; {@link io.blockhaus.s3.stripes.StagingBudget} bounds the bytes staged, per volume
 * and optionally per server. Ownership is asked before every PUT and DELETE, never known here.
 */
package io.blockhaus.s3.stripes;
