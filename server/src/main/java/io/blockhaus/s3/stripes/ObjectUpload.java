package io.blockhaus.s3.stripes;

import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The requests that store one staged image, run on an upload thread with no lock held: ask
 * ownership; if the image was written around (deferred read-modify-write), fetch the bytes it
 * lacks into its gaps, one ranged GET per gap; then PUT the image up to the volume's end, or,
 * for an image of zeroes (or a dropped object), DELETE it if it exists and send nothing if it
 * does not: holes stay holes. The zero test runs after the fetch, on the whole object, so an
 * object whose written parts are zero is deleted only if the rest of it is zero too.
 *
 * <p>The fetch writes into the array being sent, in its gaps only: nobody reads those bytes
 * (see {@link StagedObject}), and it allocates no image, so it needs no room from the budgets.
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
     * @param gaps   ranges of {@code [0, length)} the image does not hold: the store's bytes go there
     */
    Outcome send(long index, byte[] body, int length, boolean exists, List<WrittenRanges.Range> gaps) {
        try {
            ownership.beforeWrite();
            if (body != null) {
                fillGaps(keys.key(index), body, exists, gaps);
            }
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

    private void fillGaps(String key, byte[] body, boolean exists, List<WrittenRanges.Range> gaps) {
        for (WrittenRanges.Range g : gaps) {
            ByteBuffer gap = ByteBuffer.wrap(body, g.from(), g.to() - g.from());
            if (exists) {
                objects.getRange(key, g.from(), gap);
            }
            zeroes.fill(gap); // past a short object's end (or of none): zeroes, whatever the array held
        }
    }
}
