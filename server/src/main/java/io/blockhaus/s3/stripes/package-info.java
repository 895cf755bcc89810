/**
 * A {@link io.blockhaus.engine.store.BackingStore} striped over fixed-size objects of an
 * {@link io.blockhaus.s3.objects.ObjectStore}: object {@code i} holds bytes
 * {@code [i * objectSize, (i + 1) * objectSize)}; a missing object is a hole.
 *
 * <p>{@link io.blockhaus.s3.stripes.StripedStore} is the store (its essay argues the design);
 * {@code StripedReads}, {@code StripedChanges} and {@code StripedExtents} do the store's reads,
 * its writes / clears / trims, and its allocation map, object by object, through
 * {@code ObjectStaging}: the objects written and not yet stored, and their uploads, behind one
 * lock per volume that it owns (its essay argues why one, and each invariant). Its parts, whose
 * methods require that lock: {@code StagingTable} (the staged images and the index of the objects
 * stored), {@code UploadQueue} (at most {@code maxParallelPuts} uploads in flight, retries, each
 * outcome handed back once) and {@code FlushBarrier} (a flush); {@code ObjectUpload} runs one
 * upload's requests with no lock held. {@link io.blockhaus.s3.stripes.StagingBudget} bounds the
 * bytes staged, per volume and optionally per server ({@code StagingRoom} takes from both).
 * Ownership is asked before every PUT and DELETE, never known here.
 */
package io.blockhaus.s3.stripes;
