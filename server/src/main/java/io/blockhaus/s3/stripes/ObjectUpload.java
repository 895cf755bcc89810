package io.blockhaus.s3.stripes;

import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;

import java.nio.ByteBuffer;

/**
 * The request that stores one staged image, run on an upload thread with no lock held: ask
 * ownership, then PUT the image up to the volume's end, or, for an image of zeroes (or a
 * dropped object), DELETE it if it exists and send nothing if it does not: holes stay holes.
 */
final class ObjectUpload {
    /** What one upload did: the object exists in the store afterwards, or not; or it failed (exists unchanged). */
    record Outcome(boolean exists, RuntimeException failure) {
    }

    private final ObjectStore objects;
    private final DataKeys keys;
    private final VolumeOwnership ownership;
    private final ZeroRuns zeroes;

    ObjectUpload(ObjectStore objects, DataKeys keys, VolumeOwnership ownership, ZeroRuns zeroes) {
        this.objects = objects;
        this.keys = keys;
        this.ownership = ownership;
        this.zeroes = zeroes;
    }

    /**
     * @param body   the image (nobody changes it while this runs), or null for a dropped object
     * @param length bytes of it inside the volume
     * @param exists whether the store holds the object now
     */
    Outcome send(long index, byte[] body, int length, boolean exists) {
        try {
            ownership.beforeWrite();
            if (body == null || zeroes.isZero(body, length)) {
                if (exists) {
                    objects.delete(keys.key(index));
                }
                return new Outcome(false, null);
            }
            objects.put(keys.key(index), ByteBuffer.wrap(body, 0, length));
            return new Outcome(true, null);
        } catch (RuntimeException e) {
            return new Outcome(exists, e);
        }
    }
}
