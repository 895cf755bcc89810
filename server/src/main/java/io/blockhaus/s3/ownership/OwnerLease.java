package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.CreateResult;
import io.blockhaus.s3.objects.ObjectStoreException;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * This server's tenure of one volume: its lease, renewed by writing manifest versions, and the
 * checks the data path makes before it writes. The protocol and why it is safe are in
 * {@link VolumeOwnerships}' essay; this class keeps these invariants:
 * <ul>
 *   <li><b>The lease only counts what the store accepted.</b> It runs from the <em>send</em> time
 *       of the newest version of ours the store holds: of the attempt that created it, or of the
 *       first attempt when one whose answer was lost turns out to have landed ({@link #writeNext}). A version sent earlier is
 *       never younger than the store's stamp on it, so the holder's lease ends no later than the
 *       one a taker reads from the store.</li>
 *   <li><b>Every write lands inside the lease.</b> {@link #beforeWrite} returns only while
 *       {@code elapsed + writeWindow <= lease * (1 - DRIFT)}, elapsed being the larger of the
 *       monotonic and the wall clock's measure since that send (a suspended machine's monotonic
 *       clock stood still; its wall clock did not).</li>
 *   <li><b>Fenced and closed are forever.</b> {@link #standing} moves from HELD to FENCED or
 *       CLOSED by compare-and-set and never back; a renewal that lands after {@link #close} began
 *       updates the lease, not the status.</li>
 *   <li><b>A release covers writes still in flight.</b> {@code beforeWrite} records its time in
 *       {@link #lastPassNanos} <em>before</em> it reads the standing; {@code close} sets CLOSED
 *       <em>before</em> it reads that time (all volatile, so sequentially consistent). Either the
 *       write saw CLOSED and was refused, or close sees its time and writes a quiet window into
 *       the release covering it, which the next owner waits out before its first write. The
 *       window also covers what is left of our own wait for our predecessor's requests, so a
 *       server that takes a released volume and releases it before that wait ended passes the
 *       wait on (the model test found that chain: take, release at once, take, write).</li>
 *   <li><b>Manifest versions are written one at a time</b> ({@link #manifestLock}: renewals,
 *       resizes, the release), each as the successor of the newest version known to be ours, so a
 *       create that finds its name taken by a version of another epoch means exactly "taken over".</li>
 * </ul>
 */
final class OwnerLease implements VolumeOwnership {
    private static final System.Logger LOG = System.getLogger(OwnerLease.class.getPackageName());

    private static final int MAX_ATTEMPTS = 16;

    enum Status { HELD, FENCED, CLOSED }

    /** What {@link #beforeWrite} reads, in one volatile read. */
    private record Standing(Status status, long leaseFromNanos, long leaseFromWallMillis, String why) {
        Standing renewed(long fromNanos, long fromWall) {
            return status == Status.HELD ? new Standing(status, fromNanos, fromWall, why) : this;
        }
    }

    private final ManifestLog log;
    private final String root;
    private final LeaseTiming timing;
    private final LeaseClock clock;
    private final boolean storeRefusesSecondCreate;
    private final long writableFromNanos;
    private final AtomicReference<Standing> standing;
    /** The latest time beforeWrite was entered; {@link Long#MIN_VALUE}: never. */
    private final AtomicLong lastPassNanos = new AtomicLong(Long.MIN_VALUE);
    private final ReentrantLock manifestLock = new ReentrantLock();
    /** Guarded by manifestLock: the newest version known to be ours. */
    private Manifest current;
    /**
     * Guarded by manifestLock: the size the data path knows, from the last resize that returned (or
     * the open). Every version we write carries it, so a resize whose answer was lost (the client
     * got EIO, the truncate did not happen, yet the version landed) is undone by the next one.
     */
    private long confirmedSize;
    /** Guarded by manifestLock: the version being attempted (0: none) and its first attempt's send time. */
    private long pendingVersion;
    private long pendingSendNanos;
    private long pendingSendWall;
    private volatile Thread renewer;

    /**
     * @param granted           the version that made this server the owner, already created
     * @param sentNanos         when it was first sent (monotonic), and {@code sentWall} (wall clock)
     * @param writableFromNanos no data request before this (a releaser's quiet window)
     */
    OwnerLease(ManifestLog log, String root, Manifest granted, long sentNanos, long sentWall, long writableFromNanos,
               LeaseTiming timing, LeaseClock clock, boolean storeRefusesSecondCreate) {
        this.log = log;
        this.root = root;
        this.current = granted;
        this.confirmedSize = granted.size();
        this.timing = timing;
        this.clock = clock;
        this.storeRefusesSecondCreate = storeRefusesSecondCreate;
        this.writableFromNanos = writableFromNanos;
        this.standing = new AtomicReference<>(new Standing(Status.HELD, sentNanos, sentWall, ""));
    }

    /** Starts the daemon thread that renews the lease until the volume is closed or this server fenced. */
    void startRenewing() {
        Thread t = Thread.ofPlatform().daemon().name("blockhaus-s3-lease " + root).unstarted(this::renewLoop);
        renewer = t;
        t.start();
    }

    @Override
    public boolean readOnly() {
        return standing.get().status() != Status.HELD;
    }

    @Override
    public void beforeWrite() {
        while (true) {
            long now = clock.nanoTime();
            lastPassNanos.accumulateAndGet(now, Math::max); // before reading the standing: see close()
            Standing st = standing.get();
            refuseUnlessHeld(st);
            if (now - writableFromNanos < 0) {
                waitUntil(writableFromNanos);
                continue;
            }
            long left = leftNanos(st, now);
            if (left < timing.writeWindowNanos()) {
                throw new ErrnoException(Errno.EIO, "s3 volume " + root + ": lease not renewed in time (the object "
                        + "store did not answer); writes resume when a renewal succeeds, unless another server took over");
            }
            return;
        }
    }

    @Override
    public void confirmDurable() {
        Standing st = standing.get();
        refuseUnlessHeld(st);
        if (leftNanos(st, clock.nanoTime()) > 0) {
            return; // nobody can take over within our lease, so nobody did during the flush
        }
        try {
            renewNow(); // lapsed: only the store can say whether someone took over
        } catch (ObjectStoreException e) {
            throw new ErrnoException(Errno.EIO, "s3 volume " + root + ": cannot confirm ownership after the lease "
                    + "lapsed: " + e.getMessage(), e);
        }
        if (leftNanos(standing.get(), clock.nanoTime()) <= 0) {
            throw new ErrnoException(Errno.EIO, "s3 volume " + root + ": the lease renewal took longer than the lease");
        }
    }

    @Override
    public void resize(long newSize) {
        if (newSize < 0) {
            throw new ErrnoException(Errno.EINVAL, "size " + newSize + " < 0");
        }
        manifestLock.lock();
        try {
            refuseUnlessHeld(standing.get());
            writeNext(m -> m.renewed(newSize, timing.lease().toMillis()));
            confirmedSize = newSize;
        } catch (ObjectStoreException e) {
            throw new ErrnoException(Errno.EIO, "s3 volume " + root + ": cannot record size " + newSize
                    + " in the manifest: " + e.getMessage(), e);
        } finally {
            manifestLock.unlock();
        }
    }

    /**
     * Renews the lease now (the renewal thread's one step; tests call it by hand).
     *
     * @throws ObjectStoreException when the store did not answer (the lease may lapse; try again)
     * @throws ErrnoException       EROFS when this server is fenced or closed
     */
    void renewNow() {
        manifestLock.lock();
        try {
            refuseUnlessHeld(standing.get());
            writeNext(m -> m.renewed(confirmedSize, timing.lease().toMillis()));
        } finally {
            manifestLock.unlock();
        }
    }

    @Override
    public void close() {
        Standing before = standing.getAndUpdate(s -> s.status() == Status.HELD
                ? new Standing(Status.CLOSED, s.leaseFromNanos(), s.leaseFromWallMillis(), "closed") : s);
        Thread t = renewer;
        if (t != null) {
            t.interrupt();
        }
        if (before.status() != Status.HELD) {
            return;
        }
        manifestLock.lock();
        try {
            writeNext(m -> m.released(confirmedSize, quietMillis()));
            LOG.log(Level.INFO, "s3 volume " + root + ": released (epoch " + current.epoch() + ", version "
                    + current.version() + ")");
        } catch (ObjectStoreException e) {
            LOG.log(Level.WARNING, "s3 volume " + root + ": could not release it (" + e.getMessage()
                    + "); the next owner must wait for the lease (" + timing.lease() + ") to expire");
        } catch (ErrnoException e) {
            // fenced while closing: nothing of ours to release
        } finally {
            manifestLock.unlock();
        }
    }

    /** The geometry with the size this server last recorded. */
    VolumeGeometry geometry() {
        manifestLock.lock();
        try {
            return current.geometry().withSize(confirmedSize);
        } finally {
            manifestLock.unlock();
        }
    }

    long epoch() {
        manifestLock.lock();
        try {
            return current.epoch();
        } finally {
            manifestLock.unlock();
        }
    }

    /**
     * Writes the successor of {@link #current} as {@code change} makes it, and returns once the store
     * holds it as ours. Guarded by manifestLock.
     *
     * @throws ObjectStoreException the store did not answer; the attempt stays pending, so a retry
     *                              that finds it landed counts the lease from its first send
     * @throws ErrnoException       EROFS: a version of another epoch holds the name (taken over)
     */
    private void writeNext(UnaryOperator<Manifest> change) {
        for (int attempt = 1; ; attempt++) {
            if (attempt > MAX_ATTEMPTS) {
                throw new ObjectStoreException("s3 volume " + root + ": manifest version " + (current.version() + 1)
                        + " is reported to exist but cannot be read", true, 0, null);
            }
            Manifest next = change.apply(current);
            long n = next.version();
            long sendNanos = clock.nanoTime();
            long sendWall = clock.wallMillis();
            if (pendingVersion != n) {
                pendingVersion = n;
                pendingSendNanos = sendNanos;
                pendingSendWall = sendWall;
            }
            if (log.create(next, storeRefusesSecondCreate) == CreateResult.CREATED) {
                // This attempt created it, so no earlier one did: the lease counts from this send.
                if (!storeRefusesSecondCreate) {
                    // The store overwrites instead of refusing: read back to see whose version stands.
                    Optional<Manifest> stored = log.read(n);
                    if (stored.isEmpty() || !stored.get().equals(next)) {
                        throw fence("version " + n + " was overwritten by " + describe(stored));
                    }
                }
                if (log.higherExists(n)) {
                    throw fence("a version above " + n + " exists (this server fell behind a newer owner)");
                }
                adopt(next, sendNanos, sendWall);
                log.deleteSupersededBy(n);
                return;
            }
            Optional<Manifest> there = log.read(n);
            if (there.isPresent() && there.get().epoch() == current.epoch()) {
                // An earlier attempt of ours landed though its answer was lost: which one is unknown,
                // so the lease counts from the first, the earliest.
                adopt(there.get(), pendingSendNanos, pendingSendWall);
                if (there.get().equals(next) && next.state() == Manifest.State.RELEASED) {
                    if (log.higherExists(n)) {
                        throw fence("a version above our release " + n + " exists");
                    }
                    return;
                }
                // A renewal or resize: write the next one, so that success means a fresh lease and
                // a create that proves nobody wrote above us (the model test found a flush
                // confirmed on an adopted, already expired lease).
                continue;
            }
            if (there.isEmpty() && !log.higherExists(n)) {
                continue; // deleted between the create and the read, and nothing newer: try again
            }
            throw fence("version " + n + " is " + describe(there));
        }
    }

    private void adopt(Manifest m, long fromNanos, long fromWall) {
        current = m;
        pendingVersion = 0;
        standing.updateAndGet(s -> s.renewed(fromNanos, fromWall));
    }

    private ErrnoException fence(String why) {
        Standing before = standing.getAndUpdate(s -> s.status() == Status.FENCED ? s
                : new Standing(Status.FENCED, s.leaseFromNanos(), s.leaseFromWallMillis(), why));
        if (before.status() != Status.FENCED) {
            LOG.log(Level.WARNING, "s3 volume " + root + ": fenced, this server will never write it again: " + why);
        }
        return refusal(standing.get());
    }

    private static String describe(Optional<Manifest> m) {
        return m.map(v -> "epoch " + v.epoch() + " of " + v.owner() + " (" + v.state() + ")").orElse("gone");
    }

    private void refuseUnlessHeld(Standing st) {
        if (st.status() != Status.HELD) {
            throw refusal(st);
        }
    }

    private ErrnoException refusal(Standing st) {
        return new ErrnoException(Errno.EROFS, "s3 volume " + root + (st.status() == Status.FENCED
                ? ": fenced (" + st.why() + ")" : ": closed"));
    }

    /** What is left of the lease now, by the larger of the two clocks' measures of its age. */
    private long leftNanos(Standing st, long now) {
        long byMonotonic = now - st.leaseFromNanos();
        long wallMillis = clock.wallMillis() - st.leaseFromWallMillis();
        long byWall = Math.abs(wallMillis) > Long.MAX_VALUE / 2_000_000L
                ? (wallMillis > 0 ? Long.MAX_VALUE / 2 : Long.MIN_VALUE / 2) : wallMillis * 1_000_000L;
        return timing.usableNanos() - Math.max(byMonotonic, byWall);
    }

    /**
     * The release's quiet window: how long a request allowed by the last beforeWrite may still land,
     * or, if longer, how long our predecessor's may (our own wait was not over yet): a release
     * passes on every window it inherited, or a quick take-and-release would erase it.
     */
    private long quietMillis() {
        long now = clock.nanoTime();
        long left = writableFromNanos - now;
        long lastPass = lastPassNanos.get();
        if (lastPass != Long.MIN_VALUE) {
            left = Math.max(left, lastPass + timing.writeWindowNanos() - now);
        }
        return left <= 0 ? 0 : Duration.ofNanos(left).toMillis() + 1;
    }

    private void waitUntil(long deadline) {
        try {
            clock.sleepUntil(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EINTR, "s3 volume " + root + ": interrupted waiting out the previous "
                    + "owner's last writes");
        }
    }

    private void renewLoop() {
        boolean failing = false;
        long lastFailure = 0;
        while (standing.get().status() == Status.HELD) {
            long due = failing ? lastFailure + timing.retryPeriodNanos()
                    : standing.get().leaseFromNanos() + timing.renewPeriodNanos();
            try {
                clock.sleepUntil(due);
                renewNow();
                if (failing) {
                    LOG.log(Level.INFO, "s3 volume " + root + ": lease renewed again");
                }
                failing = false;
            } catch (InterruptedException | ErrnoException e) {
                return; // closed or fenced (logged there)
            } catch (RuntimeException e) {
                if (!failing) {
                    LOG.log(Level.WARNING, "s3 volume " + root + ": cannot renew the lease (" + e.getMessage()
                            + "); writes stop with EIO before it lapses, and resume when a renewal succeeds");
                }
                failing = true;
                lastFailure = clock.nanoTime();
            }
        }
    }
}
