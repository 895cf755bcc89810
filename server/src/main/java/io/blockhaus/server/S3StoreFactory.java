package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;
import io.blockhaus.s3.objects.S3Settings;
import io.blockhaus.s3.ownership.OwnedVolume;
import io.blockhaus.s3.stripes.StagingBudget;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Opens every volume of a server: files through the file factory it wraps, {@code store=s3}
 * volumes from their three parts ({@link S3Parts}). One {@link ObjectStore} per bucket (the
 * endpoint is server-wide), shared by the volumes in it; each bucket and prefix is first probed for
 * create-only writes, whose answer start-up prints because fencing depends on it.
 *
 * <p>Closing order, the reason this class outlives its volumes: a volume's close writes back its
 * dirty pages and closes its striped store; only then may its ownership be released (a release
 * before the last PUT would let another server take over under it), and only after every
 * ownership the object stores go. Start-up registers this factory before the volumes, so
 * {@link Shutdown} (newest first) closes it after them.
 */
final class S3StoreFactory implements StoreFactory, AutoCloseable {
    private final StoreFactory files;
    private final S3Options options;
    private final S3Parts parts;
    private final String serverId;
    private final PrintWriter out;
    private final PrintWriter err;
    private final StagingBudget serverBudget;
    private final Map<String, ObjectStore> buckets = new LinkedHashMap<>(); // guarded by this
    private final Map<String, Boolean> fenced = new LinkedHashMap<>(); // bucket + prefix said; guarded by this
    private final List<VolumeOwnership> ownerships = new ArrayList<>(); // guarded by this
    private boolean closed; // guarded by this

    S3StoreFactory(StoreFactory files, S3Options options, S3Parts parts, PrintWriter out, PrintWriter err) {
        this.files = files;
        this.options = options;
        this.parts = parts;
        this.serverId = localHostName() + ":" + ProcessHandle.current().pid();
        this.out = out;
        this.err = err;
        this.serverBudget = options.serverBudget();
    }

    @Override
    public BackingStore open(Path file, long sizeIfNew, boolean readOnly) {
        return files.open(file, sizeIfNew, readOnly);
    }

    @Override
    public synchronized Opened open(VolumePlan plan) {
        if (plan.s3().isEmpty()) {
            return files.open(plan);
        }
        if (closed) {
            throw new IllegalStateException("closed");
        }
        S3Export where = plan.s3().get();
        String what = "export '" + plan.name() + "' (" + where.describe(plan.name()) + ")";
        String root = where.root(plan.name());
        ObjectStore objects = bucket(where.bucket());
        VolumeOwnership ownership = null;
        try {
            boolean exists = !objects.list(root + "manifest/", null, 1).isEmpty();
            if (!exists && (plan.size() == 0 || plan.config().readOnly())) {
                throw new StartupException(what + ": there is no volume there yet"
                        + (plan.config().readOnly() ? ", and a read-only export cannot create one" : "; give size= to create it"));
            }
            OptionalLong sizeIfNew = plan.size() > 0 ? OptionalLong.of(plan.size()) : OptionalLong.empty();
            OwnedVolume owned = parts.own(objects, root, options.ownershipRequest(serverId, sizeIfNew,
                    where.objectSize(), plan.config().pageSize(), plan.config().readOnly()));
            ownership = owned.ownership();
            boolean fencing = owned.storeRefusesSecondCreate();
            sayFencing(where, fencing);
            VolumeGeometry g = owned.geometry();
            if (exists && plan.size() > 0 && plan.size() != g.size()) {
                throw new StartupException(what + ": size=" + SizeParser.format(plan.size()) + " but the volume has "
                        + g.size() + " bytes (" + SizeParser.format(g.size()) + "); the server never resizes a volume"
                        + " on start: drop size= or give its size");
            }
            try {
                options.checkObjectSize(plan.name(), g.objectSize());
            } catch (IllegalArgumentException e) {
                throw new StartupException(e.getMessage(), e);
            }
            BackingStore striped = parts.stripe(objects, root, g, ownership, options.stripedStoreOptions(serverBudget));
            ownerships.add(ownership);
            boolean readOnly = ownership.readOnly();
            BackingStore store = readOnly ? new ReadOnlyStore(striped) : striped;
            out.println("blockhaus: s3 volume " + plan.name() + ": " + where.describe(plan.name()) + ", "
                    + SizeParser.format(g.size()) + (exists ? "" : " (created)") + ", objects of "
                    + SizeParser.format(g.objectSize()) + ", " + standing(plan, readOnly, fencing));
            out.flush();
            return new Opened(store, readOnly);
        } catch (ObjectStoreException e) {
            release(ownership, e);
            throw new StartupException(what + ": " + describe(e, options.settings(where.bucket()), options.describeEndpoint()), e);
        } catch (RuntimeException e) {
            release(ownership, e);
            throw e;
        }
    }

    private String standing(VolumePlan plan, boolean readOnly, boolean fencing) {
        if (plan.config().readOnly()) {
            return "read-only (readonly)";
        }
        if (readOnly) {
            return "read-only: another server owns it (its lease is live"
                    + (fencing || options.unfenced() ? "" : ", or this store cannot fence a takeover") + ")";
        }
        return "owned by this server (" + serverId + ")" + (fencing ? "" : ", UNFENCED");
    }

    private static void release(VolumeOwnership ownership, RuntimeException failure) {
        if (ownership != null) {
            try {
                ownership.close();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private ObjectStore bucket(String bucket) {
        ObjectStore s = buckets.get(bucket);
        if (s == null) {
            S3Settings settings = options.settings(bucket);
            try {
                s = parts.connect(settings);
            } catch (ObjectStoreException e) {
                throw new StartupException("s3 bucket " + bucket + ": " + describe(e, settings, options.describeEndpoint()), e);
            }
            buckets.put(bucket, s);
        }
        return s;
    }

    /**
     * Says once per bucket and prefix whether the store refuses a second create-only write there
     * (ownership's probe found out): on stdout, or loudly on stderr when it does not (ownership is
     * then not fenced: docs/s3.md).
     */
    private void sayFencing(S3Export where, boolean refuses) {
        String key = where.bucket() + "/" + where.prefix();
        if (fenced.putIfAbsent(key, refuses) != null) {
            return;
        }
        String place = "s3://" + key + " at " + options.describeEndpoint();
        if (refuses) {
            out.println("blockhaus: " + place + " refuses a second create-only write: ownership of its volumes is fenced");
            out.flush();
        } else {
            err.println("blockhaus: WARNING: " + place + " does NOT refuse a second create-only write (If-None-Match: *),"
                    + " so a server that lost its lease cannot be fenced. " + (options.unfenced()
                    ? "--s3-unfenced: taking ownership anyway; never let two servers open one volume."
                    : "A volume another server owns is opened read-only and never taken over (--s3-unfenced to take it)."));
            err.flush();
        }
    }

    /** One line for the operator about a request that failed at start-up. */
    static String describe(ObjectStoreException e, S3Settings settings, String endpoint) {
        return switch (e.httpStatus()) {
            case 0 -> "cannot reach the object store at " + endpoint + ": " + StartupException.describe(e);
            case 301, 307 -> "bucket " + settings.bucket() + " is in another region than " + settings.region()
                    + " (--s3-region): " + StartupException.describe(e);
            case 401, 403 -> "access denied to bucket " + settings.bucket() + " at " + endpoint + ": check the credentials"
                    + " (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and what they may do: "
                    + StartupException.describe(e);
            case 404 -> "bucket " + settings.bucket() + " does not exist at " + endpoint
                    + " (the server never creates buckets): " + StartupException.describe(e);
            default -> "the object store at " + endpoint + " answered HTTP " + e.httpStatus() + ": "
                    + StartupException.describe(e);
        };
    }

    /**
     * Releases every ownership (the volumes, closed before, have stored what they acknowledged),
     * then every object store; each failure is kept and the rest still closed. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        List<AutoCloseable> all = new ArrayList<>(ownerships.reversed());
        all.addAll(buckets.values());
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                if (first == null) {
                    first = r;
                } else {
                    first.addSuppressed(r);
                }
            }
        }
        ownerships.clear();
        buckets.clear();
        if (first != null) {
            throw first;
        }
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
