package io.blockhaus.s3.objects;

import java.time.Instant;

/**
 * What the store says of one object.
 *
 * @param key          full key within the bucket
 * @param size         bytes
 * @param etag         the store's entity tag, quotes removed; changes whenever the object is replaced
 * @param lastModified when the store last stored it, by the store's clock (second precision on most stores)
 */
public record ObjectInfo(String key, long size, String etag, Instant lastModified) {
}
