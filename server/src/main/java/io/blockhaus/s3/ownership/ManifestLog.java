package io.blockhaus.s3.ownership;

import io.blockhaus.s3.objects.CreateResult;
import io.blockhaus.s3.objects.Head;
import io.blockhaus.s3.objects.ObjectInfo;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The manifest versions of one volume in the bucket: {@code root + "manifest/" + 20 digits}, each
 * created only if absent, the highest current. This class only names, lists, reads, creates and
 * deletes them; what a version means is {@link VolumeOwnerships}' and {@link OwnerLease}'s.
 *
 * <p>Superseded versions are deleted, keeping the newest {@link #KEEP} (for operators' eyes):
 * S3 lists keys in ascending order only, so finding the current version costs a listing of all of
 * them, which must stay short. Deleting old versions reopens their names to a create-only put:
 * a writer that slept through many versions could "create" one of them again. Such a resurrected
 * version is never current (a higher one exists) and its writer finds out at once: after every
 * create, {@link #higherExists} is asked, and a writer that finds a higher version is fenced.
 */
final class ManifestLog {
    /** Versions kept below the current one. */
    static final int KEEP = 8;
    private static final int DIGITS = 20;
    private static final int LIST_PAGE = 1000;
    private static final System.Logger LOG = System.getLogger(ManifestLog.class.getPackageName());

    private final ObjectStore objects;
    private final String prefix;

    ManifestLog(ObjectStore objects, String root) {
        this.objects = objects;
        this.prefix = root + "manifest/";
    }

    String key(long version) {
        return prefix + String.format("%0" + DIGITS + "d", version);
    }

    /** Every version present, ascending (keys under the prefix that are not 20 digits are ignored). */
    List<Long> versions() {
        List<Long> out = new ArrayList<>();
        String after = null;
        while (true) {
            List<ObjectInfo> page = objects.list(prefix, after, LIST_PAGE);
            for (ObjectInfo o : page) {
                String name = o.key().substring(prefix.length());
                if (name.length() == DIGITS && name.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    out.add(Long.parseLong(name));
                }
            }
            if (page.size() < LIST_PAGE) {
                return out;
            }
            after = page.getLast().key();
        }
    }

    /**
     * The version's manifest, or empty if it does not exist (deleted since it was listed).
     *
     * @throws IllegalArgumentException when it is not a manifest this server understands
     */
    Optional<Manifest> read(long version) {
        Optional<byte[]> body = objects.get(key(version));
        if (body.isEmpty()) {
            return Optional.empty();
        }
        Manifest m = ManifestJson.read(body.get());
        if (m.version() != version) {
            throw new IllegalArgumentException(key(version) + " holds version " + m.version());
        }
        return Optional.of(m);
    }

    /** The version's HEAD: its Last-Modified and the store's clock, to age it by the store's clock alone. */
    Head head(long version) {
        return objects.head(key(version));
    }

    /**
     * Creates {@code m}'s version if no object has its name. On a store that does not refuse a second
     * create ({@code storeRefuses} false) the name is looked up first: that narrows the race to the
     * time between the look-up and the put, without closing it (ownership is advisory there).
     */
    CreateResult create(Manifest m, boolean storeRefuses) {
        if (!storeRefuses && objects.head(key(m.version())).object().isPresent()) {
            return CreateResult.ALREADY_EXISTS;
        }
        return objects.putIfAbsent(key(m.version()), ByteBuffer.wrap(ManifestJson.write(m)));
    }

    /** True when some version above {@code version} exists. */
    boolean higherExists(long version) {
        return objects.list(prefix, key(version), LIST_PAGE).stream()
                .anyMatch(o -> o.key().length() == prefix.length() + DIGITS);
    }

    /** Deletes the versions in {@code present} that fall more than {@link #KEEP} below {@code current}; best effort. */
    void deleteSuperseded(long current, List<Long> present) {
        for (long v : present) {
            if (v < current - KEEP) {
                deleteQuietly(v);
            }
        }
    }

    /** Deletes one version if it is more than {@link #KEEP} below {@code current}; a failure is left for later. */
    void deleteSupersededBy(long current) {
        if (current - KEEP - 1 >= 1) {
            deleteQuietly(current - KEEP - 1);
        }
    }

    private void deleteQuietly(long version) {
        try {
            objects.delete(key(version));
        } catch (ObjectStoreException e) {
            LOG.log(Level.DEBUG, "could not delete superseded manifest " + key(version) + ": " + e.getMessage());
        }
    }
}
