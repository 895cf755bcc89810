package io.blockhaus.s3.objects;

import java.time.Instant;
import java.util.Optional;

/**
 * The answer to a HEAD: the object if it exists, and the store's clock when it answered (the HTTP
 * Date header), so a caller can age an object by the store's clock alone, never mixing clocks.
 */
public record Head(Optional<ObjectInfo> object, Instant storeTime) {
}
