package io.blockhaus.s3.stripes;

/**
 * One data object written (or punched) and not yet stored, as {@link StagingTable} holds it.
 * Every field is guarded by the volume's staging lock (see {@link ObjectStaging}).
 *
 * <p>{@code image} is the whole object as it should now be ({@code objectSize} bytes), or null
 * for an object that should not exist (a whole-object punch or truncate: a DELETE). While a PUT
 * is in flight, {@code uploading} is the array being sent; it is never changed: a writer that
 * finds {@code image == uploading} copies it first (copy on write), so the PUT sends the object
 * as it was when the upload started, whole.
 *
 * <p>{@code ranges} is null when every byte of {@code image} is true (a new object, or one
 * written whole); otherwise the object exists in the store and only the bytes in {@code ranges}
 * were written: the rest of the image is not the object's and is read from the store, and its
 * upload fetches them into the gaps of the array it sends (deferred read-modify-write). The
 * upload fills only bytes outside {@code ranges} of its array, which nobody else reads: a reader
 * takes those bytes from the store, a writer's copy keeps the same {@code ranges}.
 *
 * <p>Generations: {@code written} counts changes, {@code stored} is the last change the store
 * holds. The object needs an upload when {@code written > stored} and none is in flight; once
 * {@code written == stored} after an upload, the entry is dropped (its bytes live in the store).
 * {@link #beginUpload}, {@link #abandonUpload} and {@link #endUpload} are the only changes of
 * the upload fields.
 */
final class StagedObject {
    final long index;
    byte[] image;
    WrittenRanges ranges;
    byte[] uploading;
    boolean inFlight;
    long written;
    long stored;
    long uploadingGeneration;

    StagedObject(long index, byte[] image) {
        this.index = index;
        this.image = image;
    }

    boolean needsUpload() {
        return written > stored && !inFlight;
    }

    boolean clean() {
        return written == stored && !inFlight;
    }

    /** True when a change must first make a new array: none yet, or the one an upload is sending. */
    boolean needsArray() {
        return image == null || image == uploading;
    }

    /** Bytes of memory this entry holds: the image, and the array in flight if it is another. */
    long bytes() {
        long n = image == null ? 0 : image.length;
        if (uploading != null && uploading != image) {
            n += uploading.length;
        }
        return n;
    }

    /** Marks the upload of the image as it is now (null: a DELETE) as started; answers the array to send. */
    byte[] beginUpload() {
        inFlight = true;
        uploading = image;
        uploadingGeneration = written;
        return image;
    }

    /** The upload begun could not start (its threads are gone): as if it had not begun. */
    void abandonUpload() {
        inFlight = false;
        uploading = null;
    }

    /**
     * Ends the upload begun last. On success the store holds the generation it sent, and an
     * image not changed since (still the very array sent) is whole now: the upload filled its
     * gaps. On failure nothing is stored: the entry is as dirty as before, to be retried.
     */
    void endUpload(boolean succeeded) {
        boolean unchangedSinceStart = image != null && image == uploading;
        inFlight = false;
        uploading = null;
        if (succeeded) {
            if (unchangedSinceStart) {
                ranges = null;
            }
            stored = uploadingGeneration;
        }
    }
}
