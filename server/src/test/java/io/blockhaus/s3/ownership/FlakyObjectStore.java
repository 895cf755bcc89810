package io.blockhaus.s3.ownership;

import io.blockhaus.s3.objects.CreateResult;
import io.blockhaus.s3.objects.Head;
import io.blockhaus.s3.objects.ObjectInfo;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.objects.ObjectStoreException;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One server's view of a shared bucket, which the test can cut off ({@link #down}: every request
 * fails as if the store were unreachable) or make lose the answer of the next create-only put
 * ({@link #loseNextCreateAnswer}: the put lands, the caller hears a timeout). Counts probes.
 */
final class FlakyObjectStore implements ObjectStore {
    private final ObjectStore bucket;
    volatile boolean down;
    volatile boolean loseNextCreateAnswer;
    /** Runs before every create-only put (to line up racing servers). */
    volatile Runnable beforeCreate = () -> { };
    /** Runs after every create-only put that landed. */
    volatile Runnable afterCreate = () -> { };
    final AtomicInteger probes = new AtomicInteger();
    final AtomicInteger creates = new AtomicInteger();

    FlakyObjectStore(ObjectStore bucket) {
        this.bucket = bucket;
    }

    private void reach() {
        if (down) {
            throw new ObjectStoreException("store unreachable (test)", true, 0, null);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        reach();
        return bucket.get(key);
    }

    @Override
    public boolean getRange(String key, long offset, ByteBuffer dst) {
        reach();
        return bucket.getRange(key, offset, dst);
    }

    @Override
    public void put(String key, ByteBuffer body) {
        reach();
        bucket.put(key, body);
    }

    @Override
    public CreateResult putIfAbsent(String key, ByteBuffer body) {
        reach();
        beforeCreate.run();
        creates.incrementAndGet();
        CreateResult r = bucket.putIfAbsent(key, body);
        afterCreate.run();
        if (loseNextCreateAnswer) {
            loseNextCreateAnswer = false;
            throw new ObjectStoreException("answer lost (test): the put landed", true, 0, null);
        }
        return r;
    }

    @Override
    public boolean refusesSecondCreate(String probeKey) {
        probes.incrementAndGet();
        return ObjectStore.super.refusesSecondCreate(probeKey);
    }

    @Override
    public void delete(String key) {
        reach();
        bucket.delete(key);
    }

    @Override
    public Head head(String key) {
        reach();
        return bucket.head(key);
    }

    @Override
    public List<ObjectInfo> list(String prefix, String startAfter, int max) {
        reach();
        return bucket.list(prefix, startAfter, max);
    }

    @Override
    public void close() {
    }
}
