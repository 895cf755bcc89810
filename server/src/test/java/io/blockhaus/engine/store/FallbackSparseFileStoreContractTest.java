package io.blockhaus.engine.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The contract on a file system that refuses every fallocate mode (EOPNOTSUPP), so punch, zero,
 * collapse and insert all run their fallbacks: written zeroes and copies.
 */
class FallbackSparseFileStoreContractTest extends SparseFileStoreContractTest {
    private final ForwardingNativeIo refusing = new ForwardingNativeIo() {
        @Override
        public void fallocate(int fd, int mode, long offset, long length) throws NativeIoException {
            count(fallocateName(mode));
            throw new NativeIoException("fallocate", NativeIoException.EOPNOTSUPP);
        }
    };

    @Override
    protected NativeIo nativeIo() {
        return refusing;
    }

    @Override
    protected boolean punchesNatively() {
        return false;
    }

    @Override
    protected boolean punchDeallocates() {
        return false; // zeroes are written over data instead
    }

    /** A refused mode is remembered: asked once, never again on every request (as nbdkit does). */
    @Test
    void aRefusedPunchIsTriedOnce() {
        BackingStore s = create(1 << 20);
        String punch = ForwardingNativeIo.fallocateName(NativeIo.FALLOC_FL_PUNCH_HOLE | NativeIo.FALLOC_FL_KEEP_SIZE);
        int before = refusing.calls(punch);
        s.punchHole(0, 8192);
        s.punchHole(16384, 8192);
        s.punchHole(65536, 4096);
        assertThat(refusing.calls(punch) - before).isEqualTo(1);
    }
}
