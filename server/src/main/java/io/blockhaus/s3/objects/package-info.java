/**
 * Talking to an object store: {@link io.blockhaus.s3.objects.ObjectStore} is the handful of
 * requests a volume needs (get, ranged get, put, create-only put, delete, head, list), small
 * enough to implement over the AWS SDK for any S3-compatible store and in memory for tests.
 * Nothing here knows about volumes, pages or owners.
 */
package io.blockhaus.s3.objects;
