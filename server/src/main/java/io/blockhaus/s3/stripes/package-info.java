/**
 * A {@link io.blockhaus.engine.store.BackingStore} striped over fixed-size objects of an
 * {@link io.blockhaus.s3.objects.ObjectStore}: object {@code i} holds bytes
 * {@code [i * objectSize, (i + 1) * objectSize)}; a missing object is a hole.
 */
package io.blockhaus.s3.stripes;
