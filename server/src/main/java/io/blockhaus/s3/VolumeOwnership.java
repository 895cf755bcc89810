package io.blockhaus.s3;

/**
 * What the data path ({@link io.blockhaus.s3.stripes}) asks of ownership
 * ({@link io.blockhaus.s3.ownership}): may this server change the volume now, and record a new
 * size. Failures are {@link io.blockhaus.engine.errno.ErrnoException}s the engine passes on to
 * clients unchanged.
 *
 * <p>A server that opened the volume read-only, or that has been fenced by a newer owner, or closed
 * it, fails every method but {@link #readOnly()} and {@link #close()} with {@code EROFS}. Once
 * fenced, a server stays fenced: it never writes again, whatever it later reads. An owner whose
 * lease lapsed because the store did not answer its renewals fails writes with {@code EIO} until a
 * renewal succeeds (transient: nobody took over, or it would be fenced).
 */
public interface VolumeOwnership extends AutoCloseable {

    /** True when this server may never write the volume (opened read-only, fenced since, or closed). */
    boolean readOnly();

    /**
     * Called before every data PUT or DELETE: returns only while this server holds the volume with
     * a lease that will still be valid when a request started now has timed out; throws
     * {@code EROFS} when this server may not write, {@code EIO} when its lease is too short for
     * another request (renewals failing). Cheap (no request to the store): it checks local state;
     * only after a clean release by the previous owner may the first call wait, at most one
     * request timeout, for that owner's last requests to land.
     */
    void beforeWrite();

    /**
     * Called by a flush once its PUTs completed, before the flush is acknowledged: confirms that no
     * other server took the volume over while they ran ({@code EROFS} if one did), so a flush
     * acknowledged to a client never hides writes a new owner will not see. Local while the lease
     * is valid; once it lapsed, one renewal asks the store ({@code EIO} if it does not answer).
     */
    void confirmDurable();

    /** Records {@code newSize} in a new manifest version before truncate changes the volume. */
    void resize(long newSize);

    /** Stops renewing the lease and gives the volume up (a later owner need not wait for it to expire). */
    @Override
    void close();
}
