package io.blockhaus.engine;

import static io.blockhaus.engine.TestSupport.PAGE;
import static io.blockhaus.engine.TestSupport.expectErrno;
import static io.blockhaus.engine.TestSupport.filled;
import static io.blockhaus.engine.TestSupport.read;
import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.store.MemoryStore;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the engine does when its store fails: the error reaches the caller as the store's errno,
 * nothing acknowledged is dropped (a page whose writeback failed stays dirty and is written by
 * the next flush), and a failed fill leaves no half-read page in the cache.
 */
class BackingStoreFailureTest {
    private static final long SIZE = 64 * PAGE;

    private FailingStore store;
    private Engine engine;
    private Volume vol;
    private Handle h;

    @BeforeEach
    void setUp() {
        store = new FailingStore(new MemoryStore(SIZE));
        engine = new Engine(EngineConfig.withCache(256 * 1024).withBackgroundThreads(false));
        vol = engine.open(VolumeConfig.of("failing"), store);
        h = vol.open();
    }

    @AfterEach
    void tearDown() {
        store.failWrites.set(0);
        store.failReads.set(0);
        engine.close();
    }

    @Test
    void failedWritebackKeepsThePageDirtyAndTheNextFlushWritesIt() {
        h.write(3 * PAGE, ByteBuffer.wrap(filled(PAGE, 7)), false);
        store.failWrites.set(1);
        store.errno.set(Errno.EIO);
        expectErrno(Errno.EIO, h::flush);
        assertThat(vol.dirtyPages()).as("the page whose writeback failed is still dirty").isEqualTo(1);
        assertThat(read(h, 3 * PAGE, PAGE)).as("and still readable").isEqualTo(filled(PAGE, 7));
        h.flush();
        assertThat(vol.dirtyPages()).isZero();
        assertThat(store.peek(3 * PAGE, PAGE)).isEqualTo(filled(PAGE, 7));
    }

    @Test
    void enospcOnFuaWriteIsReportedAndTheDataStaysCached() {
        store.failWrites.set(1);
        store.errno.set(Errno.ENOSPC);
        expectErrno(Errno.ENOSPC, () -> h.write(0, ByteBuffer.wrap(filled(PAGE, 9)), true));
        assertThat(read(h, 0, PAGE)).isEqualTo(filled(PAGE, 9));
        h.flush();
        assertThat(store.peek(0, PAGE)).isEqualTo(filled(PAGE, 9));
    }

    @Test
    void failedFillReportsEioAndLeavesNoPageBehind() {
        h.writeDirect(5 * PAGE, ByteBuffer.wrap(filled(PAGE, 5)), false);
        long before = vol.cachedPages();
        store.failReads.set(1);
        expectErrno(Errno.EIO, () -> read(h, 5 * PAGE, PAGE));
        assertThat(vol.cachedPages()).as("no half-read page stays cached").isEqualTo(before);
        assertThat(read(h, 5 * PAGE, PAGE)).as("the next read fills it properly").isEqualTo(filled(PAGE, 5));
    }

    @Test
    void failedDirectWriteReportsTheErrorAndKeepsOlderDataReadable() {
        h.write(PAGE, ByteBuffer.wrap(filled(PAGE, 1)), false);
        store.failWrites.set(2); // the write-back of the dirty page and the direct write both fail
        store.errno.set(Errno.EIO);
        expectErrno(Errno.EIO, () -> h.writeDirect(PAGE, ByteBuffer.wrap(filled(PAGE, 2)), false));
        assertThat(read(h, PAGE, PAGE)).as("nothing acknowledged was lost").isEqualTo(filled(PAGE, 1));
    }

    @Test
    void closeReportsAWritebackFailureRatherThanSwallowingIt() {
        h.write(0, ByteBuffer.wrap(filled(PAGE, 4)), false);
        store.failWrites.set(1);
        store.errno.set(Errno.EIO);
        ErrnoException e = expectErrno(Errno.EIO, vol::close);
        assertThat(e).hasMessageContaining("EIO");
        assertThat(vol.isClosed()).isTrue();
        assertThat(engine.usedBytes()).as("pages are released even so").isZero();
    }

    /** A store that fails the next N reads or writes with a chosen errno. */
    static class FailingStore extends ForwardingStore {
        final MemoryStore d;
        final AtomicInteger failWrites = new AtomicInteger();
        final AtomicInteger failReads = new AtomicInteger();
        final AtomicReference<Errno> errno = new AtomicReference<>(Errno.EIO);

        FailingStore(MemoryStore d) {
            super(d);
            this.d = d;
        }

        byte[] peek(long offset, int len) {
            ByteBuffer b = ByteBuffer.allocate(len);
            d.read(offset, b);
            return b.array();
        }

        private void maybeFail(AtomicInteger counter, String what) {
            if (counter.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                throw new ErrnoException(counter == failReads ? Errno.EIO : errno.get(), "injected " + what + " failure");
            }
        }

        @Override public void read(long offset, ByteBuffer dst) { maybeFail(failReads, "read"); d.read(offset, dst); }
        @Override public void read(long offset, ByteBuffer[] dsts) { maybeFail(failReads, "read"); d.read(offset, dsts); }
        @Override public void write(long offset, ByteBuffer src) { maybeFail(failWrites, "write"); d.write(offset, src); }
        @Override public void write(long offset, ByteBuffer[] srcs) { maybeFail(failWrites, "write"); d.write(offset, srcs); }
    }
}
