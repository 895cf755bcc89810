package io.blockhaus.s3.objects;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bucket in memory for unit tests: the {@link ObjectStore} contract with no network.
 * {@code honoursCreateOnly} false plays a store that ignores {@code If-None-Match} (S3Proxy's
 * transient backend). The clock plays the store's clock (Last-Modified, Date).
 */
public final class MemoryObjectStore implements ObjectStore {
    private record Stored(byte[] body, String etag, Instant lastModified) {
    }

    private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>();
    private final boolean honoursCreateOnly;
    private final Clock clock;
    private final AtomicLong versions = new AtomicLong();

    public MemoryObjectStore(boolean honoursCreateOnly, Clock clock) {
        this.honoursCreateOnly = honoursCreateOnly;
        this.clock = clock;
    }

    public MemoryObjectStore() {
        this(true, Clock.systemUTC());
    }

    /** Keys stored now, in order (for assertions). */
    public List<String> keys() {
        return new ArrayList<>(objects.keySet());
    }

    private Stored stored(ByteBuffer body) {
        byte[] b = new byte[body.remaining()];
        body.duplicate().get(b);
        String etag = HexFormat.of().toHexDigits(versions.incrementAndGet());
        return new Stored(b, etag, clock.instant());
    }

    @Override
    public Optional<byte[]> get(String key) {
        Stored s = objects.get(key);
        return s == null ? Optional.empty() : Optional.of(s.body().clone());
    }

    @Override
    public boolean getRange(String key, long offset, ByteBuffer dst) {
        Stored s = objects.get(key);
        if (s == null) {
            return false;
        }
        if (offset < s.body().length) {
            int n = (int) Math.min(dst.remaining(), s.body().length - offset);
            dst.put(s.body(), (int) offset, n);
        }
        return true;
    }

    @Override
    public void put(String key, ByteBuffer body) {
        objects.put(key, stored(body));
    }

    @Override
    public CreateResult putIfAbsent(String key, ByteBuffer body) {
        if (!honoursCreateOnly) {
            objects.put(key, stored(body));
            return CreateResult.CREATED;
        }
        return objects.putIfAbsent(key, stored(body)) == null ? CreateResult.CREATED : CreateResult.ALREADY_EXISTS;
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
    }

    @Override
    public Head head(String key) {
        Stored s = objects.get(key);
        Optional<ObjectInfo> info = s == null ? Optional.empty()
                : Optional.of(new ObjectInfo(key, s.body().length, s.etag(), s.lastModified()));
        return new Head(info, clock.instant());
    }

    @Override
    public List<ObjectInfo> list(String prefix, String startAfter, int max) {
        List<ObjectInfo> out = new ArrayList<>();
        Map<String, Stored> tail = startAfter == null ? objects.tailMap(prefix, true) : objects.tailMap(startAfter, false);
        for (Map.Entry<String, Stored> e : tail.entrySet()) {
            if (out.size() == max || !e.getKey().startsWith(prefix)) {
                if (e.getKey().compareTo(prefix) < 0) {
                    continue; // startAfter sorted before the prefix
                }
                break;
            }
            Stored s = e.getValue();
            out.add(new ObjectInfo(e.getKey(), s.body().length, s.etag(), s.lastModified()));
        }
        return out;
    }

    @Override
    public void close() {
    }
}
