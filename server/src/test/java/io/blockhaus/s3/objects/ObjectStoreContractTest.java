package io.blockhaus.s3.objects;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link ObjectStore} contract, run against every implementation by subclassing. Each test
 * works under a fresh random prefix, so stores may be shared between tests.
 */
abstract class ObjectStoreContractTest {
    protected ObjectStore store;
    protected String p;

    /** The store under test (closed after each test). */
    protected abstract ObjectStore open();

    /** Whether this store refuses a second create of one key (If-None-Match honoured). */
    protected abstract boolean honoursCreateOnly();

    @BeforeEach
    void openStore() {
        store = open();
        p = "t-" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void getOfAMissingKeyIsEmpty() {
        assertThat(store.get(p + "nothing")).isEmpty();
        ByteBuffer dst = ByteBuffer.allocate(10);
        assertThat(store.getRange(p + "nothing", 0, dst)).isFalse();
        assertThat(dst.position()).isZero();
        assertThat(store.head(p + "nothing").object()).isEmpty();
    }

    @Test
    void putThenGetRoundTripsAndLeavesTheBodyUntouched() {
        byte[] data = random(100_000, 1);
        ByteBuffer body = ByteBuffer.wrap(data);
        store.put(p + "a", body);
        assertThat(body.position()).as("put does not move the position").isZero();
        assertThat(store.get(p + "a")).hasValueSatisfying(b -> assertThat(b).isEqualTo(data));

        ByteBuffer direct = ByteBuffer.allocateDirect(5).put(new byte[] {1, 2, 3, 4, 5}).flip();
        store.put(p + "d", direct);
        assertThat(store.get(p + "d")).hasValueSatisfying(b -> assertThat(b).containsExactly(1, 2, 3, 4, 5));

        store.put(p + "empty", ByteBuffer.allocate(0));
        assertThat(store.get(p + "empty")).hasValueSatisfying(b -> assertThat(b).isEmpty());
    }

    @Test
    void getRangeReadsInsideAndStopsAtTheEnd() {
        byte[] data = random(10_000, 2);
        store.put(p + "r", ByteBuffer.wrap(data));

        ByteBuffer inside = ByteBuffer.allocate(1000);
        assertThat(store.getRange(p + "r", 4321, inside)).isTrue();
        assertThat(inside.array()).isEqualTo(Arrays.copyOfRange(data, 4321, 5321));

        ByteBuffer across = ByteBuffer.allocateDirect(500);
        assertThat(store.getRange(p + "r", 9_800, across)).isTrue();
        assertThat(across.position()).as("stops at the object's end").isEqualTo(200);
        byte[] got = new byte[200];
        across.flip().get(got);
        assertThat(got).isEqualTo(Arrays.copyOfRange(data, 9_800, 10_000));

        ByteBuffer past = ByteBuffer.allocate(10);
        Arrays.fill(past.array(), (byte) 7);
        assertThat(store.getRange(p + "r", 10_000, past)).as("exists, nothing to read there").isTrue();
        assertThat(store.getRange(p + "r", 1 << 30, past)).isTrue();
        assertThat(past.position()).isZero();
        assertThat(past.array()).as("untouched").containsOnly(7);

        ByteBuffer window = ByteBuffer.allocate(30);
        window.position(10).limit(20);
        assertThat(store.getRange(p + "r", 0, window)).isTrue();
        assertThat(Arrays.copyOfRange(window.array(), 10, 20)).isEqualTo(Arrays.copyOf(data, 10));
        assertThat(window.position()).isEqualTo(20);
    }

    @Test
    void putReplacesTheWholeObject() {
        store.put(p + "x", ByteBuffer.wrap(random(5000, 3)));
        Instant before = store.head(p + "x").object().orElseThrow().lastModified();
        String etag = store.head(p + "x").object().orElseThrow().etag();
        store.put(p + "x", bytes("short"));
        assertThat(store.get(p + "x")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("short"));
        ObjectInfo after = store.head(p + "x").object().orElseThrow();
        assertThat(after.size()).isEqualTo(5);
        assertThat(after.etag()).as("a new body has a new etag").isNotEqualTo(etag).doesNotContain("\"");
        assertThat(after.lastModified()).isAfterOrEqualTo(before.minusSeconds(1));
    }

    @Test
    void putIfAbsentCreatesAMissingObject() {
        assertThat(store.putIfAbsent(p + "new", bytes("one"))).isEqualTo(CreateResult.CREATED);
        assertThat(store.get(p + "new")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("one"));

        CreateResult second = store.putIfAbsent(p + "new", bytes("two"));
        String now = new String(store.get(p + "new").orElseThrow(), StandardCharsets.UTF_8);
        if (honoursCreateOnly()) {
            assertThat(second).isEqualTo(CreateResult.ALREADY_EXISTS);
            assertThat(now).as("the refused create wrote nothing").isEqualTo("one");
        } else {
            assertThat(second).isEqualTo(CreateResult.CREATED);
            assertThat(now).as("a store ignoring If-None-Match overwrites").isEqualTo("two");
        }
    }

    @Test
    void refusesSecondCreateAnswersWhatTheStoreDoesAndCleansUp() {
        assertThat(store.refusesSecondCreate(p + ".probe")).isEqualTo(honoursCreateOnly());
        assertThat(store.head(p + ".probe").object()).as("the probe deletes its key").isEmpty();
    }

    @Test
    void deleteRemovesAndDeletingAMissingKeySucceeds() {
        store.put(p + "gone", bytes("x"));
        store.delete(p + "gone");
        assertThat(store.get(p + "gone")).isEmpty();
        store.delete(p + "gone");
        store.delete(p + "never");
    }

    @Test
    void headGivesSizeEtagAndTheStoreClock() {
        store.put(p + "h", ByteBuffer.wrap(random(1234, 4)));
        Head h = store.head(p + "h");
        ObjectInfo info = h.object().orElseThrow();
        assertThat(info.key()).isEqualTo(p + "h");
        assertThat(info.size()).isEqualTo(1234);
        assertThat(info.etag()).isNotBlank();
        Instant now = Instant.now();
        assertThat(h.storeTime()).as("the store's clock, here on this machine").isBetween(
                now.minus(Duration.ofMinutes(1)), now.plus(Duration.ofMinutes(1)));
        assertThat(info.lastModified()).isBetween(now.minus(Duration.ofMinutes(1)), now.plus(Duration.ofMinutes(1)));
        assertThat(store.head(p + "missing").storeTime()).as("a missing object still tells the time")
                .isBetween(now.minus(Duration.ofMinutes(1)), now.plus(Duration.ofMinutes(1)));
    }

    @Test
    void listFiltersByPrefixStartsAfterAndPagesInKeyOrder() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String k = p + "data/" + String.format("%016x", (long) i * 0x1_0001L);
            keys.add(k);
            store.put(k, bytes("v" + i));
        }
        store.put(p + "datb", bytes("not under data/"));
        store.put(p + "dat", bytes("not under data/ either"));

        List<ObjectInfo> all = store.list(p + "data/", null, 1000);
        assertThat(all).extracting(ObjectInfo::key).containsExactlyElementsOf(keys);
        assertThat(all.get(3).size()).isEqualTo(2);

        List<String> paged = new ArrayList<>();
        String after = null;
        for (List<ObjectInfo> page; !(page = store.list(p + "data/", after, 7)).isEmpty(); ) {
            assertThat(page.size()).isLessThanOrEqualTo(7);
            page.forEach(o -> paged.add(o.key()));
            after = page.getLast().key();
        }
        assertThat(paged).as("paging by startAfter").containsExactlyElementsOf(keys);

        assertThat(store.list(p + "data/", keys.get(20), 100)).extracting(ObjectInfo::key)
                .containsExactlyElementsOf(keys.subList(21, 25));
        assertThat(store.list(p + "data/", p, 3)).extracting(ObjectInfo::key)
                .as("a startAfter sorting before the prefix").containsExactlyElementsOf(keys.subList(0, 3));
        assertThat(store.list(p + "nothing/", null, 10)).isEmpty();
    }

    @Test
    void listReturnsMoreThanOneStorePage() {
        // S3 answers at most 1000 keys per request: the store follows continuation tokens.
        int n = 1003;
        for (int i = 0; i < n; i++) {
            store.put(p + "many/" + String.format("%05d", i), ByteBuffer.allocate(0));
        }
        List<ObjectInfo> got = store.list(p + "many/", null, 2000);
        assertThat(got).hasSize(n);
        assertThat(got.getLast().key()).isEqualTo(p + "many/01002");
        assertThat(store.list(p + "many/", null, 1001)).hasSize(1001);
    }
}
