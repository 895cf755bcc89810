package io.blockhaus.server;

import io.blockhaus.engine.ForwardingStore;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.engine.store.MemoryStore;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.CreateResult;
import io.blockhaus.s3.objects.Head;
import io.blockhaus.s3.objects.MemoryObjectStore;
import io.blockhaus.s3.objects.ObjectInfo;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;
import io.blockhaus.s3.objects.S3Settings;
import io.blockhaus.s3.ownership.OwnedVolume;
import io.blockhaus.s3.ownership.OwnershipRequest;
import io.blockhaus.s3.stripes.StripedStoreOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The parts of s3 volumes for the wiring's tests: buckets in memory, an ownership that records its
 * requests (read-only where {@link #ownedElsewhere} says another server holds the volume), a
 * memory store as the striped store; every open and close is written to {@link #events}, in order.
 */
final class FakeS3Parts implements S3Parts {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<S3Settings> connected = new ArrayList<>();
    final List<OwnershipRequest> requests = new ArrayList<>();
    final List<StripedStoreOptions> stripeOptions = new ArrayList<>();
    /** Roots another server owns: opened read-only. */
    final Set<String> ownedElsewhere = new HashSet<>();
    final MemoryObjectStore bucket;
    /** Thrown by every request to the bucket when set (an unreachable store, a missing bucket...). */
    volatile ObjectStoreException failure;

    FakeS3Parts(boolean refusesSecondCreate) {
        bucket = new MemoryObjectStore(refusesSecondCreate, Clock.systemUTC());
    }

    /** A volume another server created: its manifest is there. */
    void existing(String root, long size) {
        bucket.put(root + "manifest/00000000000000000001", ByteBuffer.wrap(Long.toString(size).getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public ObjectStore connect(S3Settings settings) {
        connected.add(settings);
        events.add("connect " + settings.bucket());
        return new Recording(settings.bucket());
    }

    @Override
    public OwnedVolume own(ObjectStore objects, String root, OwnershipRequest request) {
        requests.add(request);
        Optional<byte[]> manifest = objects.get(root + "manifest/00000000000000000001");
        long size;
        if (manifest.isPresent()) {
            size = Long.parseLong(new String(manifest.get(), StandardCharsets.UTF_8));
        } else {
            size = request.sizeIfNew().orElseThrow();
            existing(root, size);
        }
        boolean readOnly = request.readOnly() || ownedElsewhere.contains(root);
        events.add("own " + root + (readOnly ? " read-only" : ""));
        String parent = root.substring(0, root.lastIndexOf('/', root.length() - 2) + 1);
        boolean refuses = objects.refusesSecondCreate(parent + ".blockhaus-probe/x");
        return new OwnedVolume(new VolumeGeometry(size, request.objectSizeIfNew(), request.pageSizeIfNew()),
                new Ownership(root, readOnly), refuses);
    }

    @Override
    public BackingStore stripe(ObjectStore objects, String root, VolumeGeometry geometry, VolumeOwnership ownership,
            StripedStoreOptions options) {
        stripeOptions.add(options);
        events.add("stripe " + root);
        return new Striped(root, new MemoryStore(geometry.size()));
    }

    /** A memory store that records its forces and its close. */
    private final class Striped extends ForwardingStore {
        private final String root;

        Striped(String root, MemoryStore m) {
            super(m);
            this.root = root;
        }

        @Override
        public void force() {
            events.add("stripe force " + root);
            super.force();
        }

        @Override
        public void close() {
            events.add("stripe close " + root);
            super.close();
        }
    }

    private final class Ownership implements VolumeOwnership {
        private final String root;
        private final boolean readOnly;

        Ownership(String root, boolean readOnly) {
            this.root = root;
            this.readOnly = readOnly;
        }

        @Override public boolean readOnly() { return readOnly; }

        @Override
        public void beforeWrite() {
            if (readOnly) {
                throw new ErrnoException(Errno.EROFS, "read-only");
            }
        }

        @Override public void confirmDurable() { beforeWrite(); }
        @Override public void resize(long newSize) { beforeWrite(); }
        @Override public void close() { events.add("release " + root); }
    }

    /** The memory bucket, failing on demand, recording its close. */
    private final class Recording implements ObjectStore {
        private final String name;

        Recording(String name) {
            this.name = name;
        }

        private void check() {
            ObjectStoreException f = failure;
            if (f != null) {
                throw f;
            }
        }

        @Override public Optional<byte[]> get(String key) { check(); return bucket.get(key); }
        @Override public boolean getRange(String key, long offset, ByteBuffer dst) { check(); return bucket.getRange(key, offset, dst); }
        @Override public void put(String key, ByteBuffer body) { check(); bucket.put(key, body); }
        @Override public CreateResult putIfAbsent(String key, ByteBuffer body) { check(); return bucket.putIfAbsent(key, body); }
        @Override public void delete(String key) { check(); bucket.delete(key); }
        @Override public Head head(String key) { check(); return bucket.head(key); }
        @Override public List<ObjectInfo> list(String prefix, String startAfter, int max) { check(); return bucket.list(prefix, startAfter, max); }
        @Override public void close() { events.add("objects close " + name); }
    }
}
