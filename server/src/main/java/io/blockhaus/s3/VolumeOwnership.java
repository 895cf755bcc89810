package io.blockhaus.s3;

/**
 * What the data path ({@link io.blockhaus.s3.stripes}) asks of ownership
 * ({@link io.blockhaus.s3.ownership}): may this server change the volume now, and record a new
 * size. Failures are {@link io.blockhaus.engine.errno.ErrnoException}s the engine passes on to
 * clients unchanged.
 *
 * <p>A server that opened the volume read-only, or that has been fenced by a newer owner, fails
 * every method but {@link #readOnly()} and {@link #close()} with {@code EROFS}. Once fenced, a
 * server stays fenced: it never writes again, whatever it later reads.
 */
public interface VolumeOwnership extends AutoCloseable {

    /** True when this server may never write the volume (opened read-only, or fenced since). */
    boolean readOnly();

    /**
     * Called before every data PUT or DELETE: returns only while this server holds the volume with
     * a lease that will still be valid when a request started now has timed out; throws
     * {@code EROFS} otherwise. Cheap (no request to the store): it checks local state.
     */
    void beforeWrite();

    /**
     * Called by a flush once its PUTs completed, before the flush is acknowledged: confirms that no
     * other server took the volume over while they ran ({@code EROFS} if one did), so a flush
     * acknowledged to a client never hides writes a new owner will not see.
     */
    void confirmDurable();

    /** Records {@code newSize} in a new manifest version before truncate changes the volume. */
    void resize(long newSize);

    /** Stops renewing the lease and gives the volume up (a later owner need not wait for it to expire). */
    @Override
    void close();
}
