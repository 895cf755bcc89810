package io.blockhaus.s3.stripes;

import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The requests that store one staged image, run on an upload thread with no lock held: ask
 * ownership; if the image was written around (deferred read-modify-write), fetch the bytes it
 * lacks into its gaps (one ranged GET per gap, or per span of nearby gaps); then PUT the image up to the volume's end, or,
 * for an image of zeroes (or a dropped object), DELETE it if it exists and send nothing if it
 * does not: holes stay holes. The zero test runs after the fetch, on the whole object, so an
 * object whose written parts are zero is deleted only if the rest of it is zero too.
 *
 * <p>The fetch writes into the array being sent, in its gaps only: nobody reads those bytes
 * (see {@link StagedObject}), and it allocates no image, so it needs no room from the budgets
 * (a span's bounce buffer, at most {@link #SPAN} bytes per upload in flight, is the exception).
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

    /**
     * Gaps close together are fetched by one ranged GET of the span they lie in, through a bounce
     * buffer of at most {@link #SPAN} bytes, and only the gaps' bytes are copied: scattered pages
     * written back into an existing object would otherwise cost a GET per gap, one after another
     * (512 for every other page of a 4 MiB object). A lone gap is fetched straight into the array.
     * The bounce buffer is the only allocation here: at most {@code SPAN} per upload in flight.
     */
    private void fillGaps(String key, byte[] body, boolean exists, List<WrittenRanges.Range> gaps) {
        if (!exists) {
            for (WrittenRanges.Range g : gaps) {
                java.util.Arrays.fill(body, g.from(), g.to(), (byte) 0);
            }
            return;
        }
        for (int first = 0; first < gaps.size(); ) {
            int from = gaps.get(first).from();
            int last = first;
            while (last + 1 < gaps.size() && gaps.get(last + 1).to() - from <= SPAN) {
                last++;
            }
            if (last == first) {
                WrittenRanges.Range g = gaps.get(first);
                ByteBuffer gap = ByteBuffer.wrap(body, g.from(), g.to() - g.from());
                objects.getRange(key, g.from(), gap);
                zeroes.fill(gap); // past a short object's end: zeroes, whatever the array held
            } else {
                int to = gaps.get(last).to();
                byte[] bounce = new byte[to - from]; // zeroes past a short object's end
                objects.getRange(key, from, ByteBuffer.wrap(bounce));
                for (int i = first; i <= last; i++) {
                    WrittenRanges.Range g = gaps.get(i);
                    System.arraycopy(bounce, g.from() - from, body, g.from(), g.to() - g.from());
                }
            }
            first = last + 1;
        }
    }

    /** The widest span one GET fetches for several gaps. */
    static final int SPAN = 256 << 10;
}
