package io.blockhaus.s3.ownership;

import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.objects.CreateResult;
import io.blockhaus.s3.objects.Head;
import io.blockhaus.s3.objects.ObjectStore;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens volumes kept in object storage, deciding whether this server owns them.
 *
 * <h2>What ownership guarantees</h2>
 * Every data request (PUT or DELETE of a data object) of one owner lands in the store before the
 * first data request of the next owner is sent. So two servers never interleave writes to a
 * volume, and a new owner reads everything its predecessor stored. A server that lost the volume
 * learns it at its next renewal and never writes again ({@code EROFS}).
 *
 * <h2>What it relies on</h2>
 * <ol>
 *   <li>The store refuses a second create-only put ({@code If-None-Match: *}) of one key. Probed
 *       once per bucket ({@link ObjectStore#refusesSecondCreate}); where it does not hold, see
 *       "Stores that cannot fence" below. Nothing relies on {@code If-Match}.</li>
 *   <li>Read-after-write consistency, listings included (S3 since 2020, RGW, MinIO).</li>
 *   <li>A request lands before its client timed out or never: the whole call, retries included,
 *       is bounded by {@code requestTimeout} (AwsObjectStore sets the SDK's call timeout to it).</li>
 *   <li>The store's Date and Last-Modified come from one clock (or gateways that agree within a
 *       second), and no clock involved runs faster or slower than {@link LeaseTiming#DRIFT}. No two
 *       machines' clocks are ever compared: only durations are carried from one to another.</li>
 *   <li>This server does not stop for longer than {@link LeaseTiming#SEND_SLACK} between
 *       {@code beforeWrite()} and sending the request it allowed (see {@code SEND_SLACK}).</li>
 * </ol>
 *
 * <h2>The manifest is a log, the epoch a tenure</h2>
 * Each manifest version is a new object {@code manifest/<version>}, created only if absent, and the
 * writer of a version always writes the successor of the newest version it knows. So each version
 * has exactly one writer, and "my create of {@code n+1} succeeded" means "nobody wrote anything
 * after {@code n}, which I wrote or read". A server takes the volume by writing the next version
 * with {@code epoch + 1}; only it writes that epoch again (SlateDB's manifest works this way).
 * A create that finds its name taken by another epoch means exactly "taken over": the loser is
 * fenced forever, since epochs only grow along the log.
 *
 * <h2>The lease</h2>
 * Every version an owner writes grants it a lease of {@code L} ({@code leaseMillis}, written in the
 * version, so a taker uses the owner's {@code L}, not its own). The owner renews by writing the
 * next version every third of what the lease leaves after one write window; there is no lease
 * object to overwrite, so no {@code If-Match}. The owner counts each lease on its own monotonic
 * clock from the moment it <em>sent</em> the version, and counts it short: {@code L(1 - DRIFT)}. Its
 * clock runs at most {@code DRIFT} slow, so that count is over by real time {@code send + L}.
 * {@code beforeWrite()} returns only while {@code elapsed + requestTimeout + SEND_SLACK} fits in the
 * count: so <b>every data request of an owner lands by real time {@code send + L}</b>, {@code send}
 * being the send of its newest version in the store. A renewal whose answer was lost but which
 * landed is found at the next attempt (the name is taken by our own epoch) and counted from its
 * first send, which is earlier: conservative.
 *
 * <h2>Taking over an expired lease</h2>
 * Another server B reads the current version {@code n} (owner A) and HEADs it: the store's
 * Last-Modified on it and the store's Date now. Their difference is a duration on one clock, the
 * store's. Last-Modified is truncated to the second, so the version is at most 1 s younger than
 * it says; the store's clock may run {@code DRIFT} fast. So when
 * {@code age - 2 s >= L(1 + DRIFT)} (one more second for gateways stamping from different,
 * synchronised clocks), at least {@code L} of real time passed between the store stamping
 * {@code n} and answering B. A sent {@code n} before the store stamped it, so by the previous
 * section every data request of A has landed before the store answered B's HEAD. B then writes
 * {@code n+1} with {@code epoch + 1}. If A renewed meanwhile, A's {@code n+1} exists, B's create
 * fails, and B reads again (and finds a live lease). If B's create wins, A can never renew again,
 * so its lease stays the one of {@code n}, over before B even asked. <b>The window in which the
 * old owner could still be writing is therefore already over when B takes over; B writes at
 * once.</b> The renewal period does not enter the bound (each renewal is its own stamped version,
 * and the lease counts from the newest); the request timeout does, on the owner's side, and only
 * clock <em>rates</em> do, never offsets.
 *
 * <h2>A clean release</h2>
 * {@code close()} writes a RELEASED version, after refusing further writes. Requests allowed
 * before may still be in flight; the release carries their window as a duration,
 * {@code quietMillis} (how long after the release was sent the last allowed request can land, on
 * the releaser's clock). A taker reads the release after it was stored, takes the volume at once
 * and makes its first data request wait {@code quiet (1 + DRIFT)/(1 - DRIFT)} from that read:
 * at least {@code quiet} of real time whichever way the two clocks err. A server that closes
 * without writing for a request timeout leaves a quiet window of 0; one that closes while it was
 * still waiting out its predecessor's window passes what is left of that on in its own.
 *
 * <h2>Lapsed is not fenced: EIO, then EROFS</h2>
 * An owner that cannot reach the store cannot renew; its lease runs out and {@code beforeWrite()}
 * answers {@code EIO}: the store did not answer, the data path keeps its dirty data and retries,
 * and writes resume when a renewal succeeds, which proves nobody took over (a taker's version
 * would hold the name the renewal needs). Only when a renewal, resize or release finds a version
 * of another epoch is the server fenced: {@code EROFS}, for good. {@code EROFS} for an outage would
 * tell clients the device became read-only forever (and file systems remount read-only), which an
 * outage does not mean; {@code EIO} for a takeover would invite endless retries of writes that
 * must never happen.
 *
 * <h2>Races</h2>
 * Two takers read the same expired version {@code n} and both create {@code n+1}: one create wins;
 * the other reads again, finds the winner's live lease and opens read-only. Creating a new volume
 * is the same race on version 1. A read-only open never writes anything.
 *
 * <h2>Old versions</h2>
 * Superseded versions are deleted, keeping {@link ManifestLog#KEEP}, so finding the newest stays
 * one short listing. A deleted name can be created again by a writer that slept through many
 * versions; every writer therefore lists after a successful create, and one that finds a higher
 * version is fenced (a taker reads again): a resurrected version is never current.
 *
 * <h2>Stores that cannot fence</h2>
 * Where the probe finds that the store overwrites instead of refusing (S3Proxy's transient
 * backend), two servers could both believe they own a volume. Then (one WARN line per bucket)
 * this server still creates and owns new volumes and takes released ones, opens volumes with a
 * live owner read-only, and refuses (opens read-only) to take over a volume whose owner never
 * released it, unless the operator chose {@code --s3-unfenced}: then it takes over with the same
 * waits, and ownership is advisory. There each create is preceded by a look-up of its name and
 * followed by reading it back, so an old owner that renews after a takeover usually finds the
 * new owner's version and fences itself; usually, not surely: the look-up and the put race.
 */
public final class VolumeOwnerships {
    private static final System.Logger LOG = System.getLogger(VolumeOwnerships.class.getPackageName());
    private static final int MAX_ATTEMPTS = 16;

    private final LeaseClock clock;
    private final boolean renewInBackground;
    private final Map<ObjectStore, Boolean> probed = new ConcurrentHashMap<>();

    /** Production: the system's clocks, leases renewed by a daemon thread per owned volume. */
    public VolumeOwnerships() {
        this(LeaseClock.SYSTEM, true);
    }

    /** Tests: an injected clock; with {@code renewInBackground} false, renewals only by {@link OwnerLease#renewNow}. */
    VolumeOwnerships(LeaseClock clock, boolean renewInBackground) {
        this.clock = clock;
        this.renewInBackground = renewInBackground;
    }

    /**
     * Opens (or creates) the volume under {@code root} (ending in '/'): reads its manifest, takes
     * ownership or falls back to read-only, starts renewing the lease.
     *
     * @throws IllegalArgumentException the volume does not exist and the request cannot create it
     *                                  (no size, or read-only), its manifest is not understood, or the
     *                                  lease is too short for the request timeout
     * @throws io.blockhaus.s3.objects.ObjectStoreException the store did not answer
     */
    public OwnedVolume open(ObjectStore objects, String root, OwnershipRequest request) {
        LeaseTiming timing = new LeaseTiming(request.lease(), request.requestTimeout());
        boolean fenced = refusesSecondCreate(objects, root);
        ManifestLog log = new ManifestLog(objects, root);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            List<Long> versions = log.versions();
            Optional<OwnedVolume> opened = versions.isEmpty()
                    ? create(log, root, request, timing, fenced)
                    : openExisting(log, root, request, timing, fenced, versions);
            if (opened.isPresent()) {
                return opened.get();
            }
            // lost a race with another server's manifest write: read again and decide again
        }
        throw new IllegalStateException("s3 volume " + root + ": the manifest kept changing under " + MAX_ATTEMPTS
                + " attempts to open it; other servers are fighting over it");
    }

    private Optional<OwnedVolume> create(ManifestLog log, String root, OwnershipRequest request, LeaseTiming timing,
                                         boolean fenced) {
        if (request.sizeIfNew().isEmpty() || request.readOnly()) {
            throw new IllegalArgumentException("s3 volume " + root + " does not exist (no manifest), and "
                    + (request.readOnly() ? "a read-only open cannot create it" : "no size was given to create it"));
        }
        VolumeGeometry geometry = new VolumeGeometry(request.sizeIfNew().getAsLong(), request.objectSizeIfNew(),
                request.pageSizeIfNew());
        Manifest first = Manifest.created(request.serverId(), timing.lease().toMillis(), geometry);
        Optional<OwnedVolume> owned = write(log, root, first, clock.nanoTime(), timing, fenced, List.of());
        owned.ifPresent(v -> LOG.log(Level.INFO, "s3 volume " + root + ": created, " + geometry + ", owned by "
                + request.serverId() + " (epoch 1)"));
        return owned;
    }

    private Optional<OwnedVolume> openExisting(ManifestLog log, String root, OwnershipRequest request,
                                               LeaseTiming timing, boolean fenced, List<Long> versions) {
        long version = versions.getLast();
        Optional<Manifest> read = log.read(version);
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Manifest current = read.get();
        if (current.pageSize() != request.pageSizeIfNew() || current.objectSize() != request.objectSizeIfNew()) {
            LOG.log(Level.INFO, "s3 volume " + root + ": keeps its own geometry " + current.geometry()
                    + " (asked for object size " + request.objectSizeIfNew() + ", page size " + request.pageSizeIfNew() + ")");
        }
        if (request.readOnly()) {
            return Optional.of(readOnly(root, current, fenced, "asked for read-only"));
        }
        if (current.state() == Manifest.State.RELEASED) {
            long readAt = clock.nanoTime(); // after the read answered: after the release was stored
            long writableFrom = readAt + LeaseTiming.quietWaitNanos(current.quietMillis());
            Optional<OwnedVolume> taken = write(log, root, current.takenBy(request.serverId(),
                    timing.lease().toMillis()), writableFrom, timing, fenced, versions);
            taken.ifPresent(v -> LOG.log(Level.INFO, "s3 volume " + root + ": taken from " + current.owner()
                    + ", who released it (epoch " + (current.epoch() + 1) + "; first write waits "
                    + Duration.ofNanos(writableFrom - readAt) + ")"));
            return taken;
        }
        Head head = log.head(version);
        if (head.object().isEmpty()) {
            return Optional.empty();
        }
        Duration age = Duration.between(head.object().get().lastModified(), head.storeTime());
        if (!LeaseTiming.expiredByStoreClock(age, current.leaseMillis())) {
            return Optional.of(readOnly(root, current, fenced, "owned by " + current.owner() + " (epoch "
                    + current.epoch() + ") whose lease is live: renewed " + age.toSeconds() + " s ago by the store's "
                    + "clock, lease " + Duration.ofMillis(current.leaseMillis()).toSeconds() + " s"));
        }
        if (!fenced && !request.unfenced()) {
            LOG.log(Level.WARNING, "s3 volume " + root + ": not taking it over from " + current.owner()
                    + ", whose lease expired without a release: this object store cannot fence the old owner "
                    + "(--s3-unfenced takes it over anyway, advisory)");
            return Optional.of(readOnly(root, current, fenced, "the store cannot fence a takeover from "
                    + current.owner()));
        }
        Optional<OwnedVolume> taken = write(log, root, current.takenBy(request.serverId(), timing.lease().toMillis()),
                clock.nanoTime(), timing, fenced, versions);
        taken.ifPresent(v -> LOG.log(fenced ? Level.INFO : Level.WARNING, "s3 volume " + root + ": taken over from "
                + current.owner() + ", whose lease expired " + age.toSeconds() + " s after its last renewal by the "
                + "store's clock (epoch " + (current.epoch() + 1) + ")"
                + (fenced ? "" : "; fencing is ADVISORY on this store (--s3-unfenced)")));
        return taken;
    }

    /** Creates {@code next}; empty when another server's version holds its name or stands above it. */
    private Optional<OwnedVolume> write(ManifestLog log, String root, Manifest next, long writableFrom,
                                        LeaseTiming timing, boolean fenced, List<Long> versions) {
        long sentNanos = clock.nanoTime();
        long sentWall = clock.wallMillis();
        if (log.create(next, fenced) != CreateResult.CREATED) {
            return Optional.empty();
        }
        if (!fenced && !log.read(next.version()).equals(Optional.of(next))) {
            return Optional.empty(); // overwritten by another server on a store that cannot refuse
        }
        if (log.higherExists(next.version())) {
            return Optional.empty(); // a resurrected old version: see "Old versions"
        }
        log.deleteSuperseded(next.version(), versions);
        OwnerLease lease = new OwnerLease(log, root, next, sentNanos, sentWall, writableFrom, timing, clock, fenced);
        if (renewInBackground) {
            lease.startRenewing();
        }
        return Optional.of(new OwnedVolume(next.geometry(), lease, fenced));
    }

    private static OwnedVolume readOnly(String root, Manifest current, boolean fenced, String why) {
        LOG.log(Level.INFO, "s3 volume " + root + ": opened read-only, " + why);
        return new OwnedVolume(current.geometry(), new ReadOnlyOwnership(root, why), fenced);
    }

    /**
     * The create-only probe's answer for this bucket, asked once per {@link ObjectStore} and kept.
     * The probe key lies beside the volumes ({@code P + ".blockhaus-probe/<random>"}).
     */
    private boolean refusesSecondCreate(ObjectStore objects, String root) {
        Boolean known = probed.get(objects);
        if (known != null) {
            return known;
        }
        int parent = root.lastIndexOf('/', root.length() - 2);
        String probeKey = root.substring(0, parent + 1) + ".blockhaus-probe/" + UUID.randomUUID();
        boolean refuses = objects.refusesSecondCreate(probeKey);
        if (probed.putIfAbsent(objects, refuses) == null && !refuses) {
            LOG.log(Level.WARNING, "object store does not refuse a second create-only PUT (it ignores "
                    + "If-None-Match: *): s3 volume ownership is NOT fenced on this bucket. Two servers could both "
                    + "write one volume and corrupt it; volumes owned by another server open read-only, and one whose "
                    + "owner never released it is not taken over unless --s3-unfenced (then ownership is advisory)");
        }
        return refuses;
    }
}
