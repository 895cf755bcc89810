package io.blockhaus.s3.objects;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * One bucket of an object store, as a volume uses it. Keys are full keys within the bucket.
 *
 * <p>Contract (every implementation; {@code ObjectStoreContractTest} checks it):
 * <ul>
 *   <li>Every method may be called from many threads at once and blocks until the store answered
 *       (or a timeout passed). None is ever called on a Netty event loop.</li>
 *   <li>Failures are {@link ObjectStoreException}s; a missing object is never one (it is an empty
 *       answer, {@code false}, or a no-op).</li>
 *   <li>A put replaces the whole object atomically: readers see the old or the new body, never a
 *       mix. Stores are read-after-write consistent (S3 is since 2020; RGW and S3Proxy are).</li>
 *   <li>{@link #putIfAbsent} is the only conditional request. Whether the store honours it is not
 *       assumed: {@link #refusesSecondCreate} probes it, and ownership relies on it only then.
 *       No {@code If-Match} is ever sent: Ceph 16's RGW answers 412 to it even when it matches.</li>
 * </ul>
 */
public interface ObjectStore extends AutoCloseable {

    /** The whole object, or empty if there is none. */
    Optional<byte[]> get(String key);

    /**
     * Reads the object's bytes from {@code offset} into {@code dst} (position to limit); bytes past
     * the object's end are left untouched and {@code dst}'s position stops there.
     *
     * @return false, with {@code dst} untouched, if the object does not exist
     */
    boolean getRange(String key, long offset, ByteBuffer dst);

    /** Stores {@code body} (position to limit; the position is not moved) as the whole object. */
    void put(String key, ByteBuffer body);

    /**
     * Stores {@code body} only if no object has the key ({@code If-None-Match: *}). A store that
     * ignores the condition overwrites and answers CREATED: see {@link #refusesSecondCreate}.
     */
    CreateResult putIfAbsent(String key, ByteBuffer body);

    /** Deletes the object; deleting a missing object succeeds. */
    void delete(String key);

    /** What the store says of the object, with its clock. */
    Head head(String key);

    /**
     * Up to {@code max} objects whose keys start with {@code prefix} and sort after
     * {@code startAfter} (null: from the first), in key order (UTF-8 binary order, as S3 lists).
     */
    List<ObjectInfo> list(String prefix, String startAfter, int max);

    /**
     * Probes whether this store refuses a second create-only put of one key: creates
     * {@code probeKey} twice, deletes it, and answers true only when the second attempt was refused.
     * Stores that ignore {@code If-None-Match} (S3Proxy 2.6 with its transient backend) answer false.
     */
    default boolean refusesSecondCreate(String probeKey) {
        ByteBuffer body = ByteBuffer.wrap(new byte[] {'p'});
        try {
            if (putIfAbsent(probeKey, body) != CreateResult.CREATED) {
                return false; // a leftover from a crashed probe: try again at the next start
            }
            return putIfAbsent(probeKey, body) == CreateResult.ALREADY_EXISTS;
        } finally {
            delete(probeKey);
        }
    }

    /** Releases connections. Idempotent. */
    @Override
    void close();
}
