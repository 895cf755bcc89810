package io.blockhaus.s3.stripes;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Turns the changes a {@link StripedStore} is asked for, byte ranges of the volume, into
 * changes of the objects they touch, staged in {@link ObjectStaging} (no request is made here):
 * a write copies into each object's image; a clear (punch, zero) drops whole objects (DELETEd at
 * upload) and zeroes the partial ones it finds data in; a trim makes every byte at or past a new
 * end zero.
 *
 * <p>Why apart from the store: this is the arithmetic of the layout (which object, where in it,
 * whether a change reaches the object's end and so finishes it for a sequential writer), shared
 * by writes, clears and truncates, and it runs on ranges the store has already checked.
 */
final class StripedChanges {
    private final int objectSize;
    private final ObjectStaging staging;
    private final LongSupplier size;

    StripedChanges(int objectSize, ObjectStaging staging, LongSupplier size) {
        this.objectSize = objectSize;
        this.staging = staging;
        this.size = size;
    }

    /** Copies the buffers' bytes in turn into the images of the objects from {@code offset}. */
    void write(long offset, ByteBuffer[] srcs) {
        long pos = offset;
        for (ByteBuffer src : srcs) {
            while (src.hasRemaining()) {
                long index = pos / objectSize;
                int in = (int) (pos - index * objectSize);
                int k = Math.min(objectSize - in, src.remaining());
                long objectEnd = Math.min((index + 1) * objectSize, size.getAsLong());
                boolean reachesEnd = pos + k >= objectEnd;
                ByteBuffer part = src.slice(src.position(), k);
                staging.change(index, in, k, reachesEnd, image -> part.get(image, in, k));
                src.position(src.position() + k);
                pos += k;
            }
        }
    }

    /** Whole objects become holes (DELETE at upload); partial ones are zeroed in their image (the rest fetched at upload). */
    void clear(long from, long to) {
        for (long pos = from; pos < to; ) {
            long index = pos / objectSize;
            int in = (int) (pos - index * objectSize);
            int k = (int) Math.min(objectSize - in, to - pos);
            long objectEnd = Math.min((index + 1) * objectSize, size.getAsLong());
            if (in == 0 && pos + k >= objectEnd) {
                staging.drop(index);
            } else if (staging.hasData(index)) {
                staging.change(index, in, k, false, image -> Arrays.fill(image, in, in + k, (byte) 0));
            }
            pos += k;
            if (in == 0 && k == objectSize) {
                long next = staging.nextKnown(index + 1); // a huge punch over holes costs nothing
                pos = next < 0 ? to : Math.max(pos, Math.min(to, next * objectSize));
            }
        }
    }

    /** Makes every byte at or past {@code end} zero: objects wholly past it become holes, the partial one is trimmed. */
    void trimFrom(long end) {
        long firstGone = Math.ceilDiv(end, (long) objectSize);
        for (long index : staging.knownFrom(firstGone)) {
            staging.drop(index);
        }
        int in = (int) (end % objectSize);
        long last = end / objectSize;
        if (in != 0 && staging.hasData(last)) {
            staging.change(last, in, objectSize - in, false, image -> Arrays.fill(image, in, objectSize, (byte) 0));
        }
    }
}
