package io.blockhaus.engine.store;

/**
 * The contract on a file system that refuses every fallocate mode (EOPNOTSUPP), so punch, zero,
 * collapse and insert all run their fallbacks: written zeroes and copies.
 */
class FallbackSparseFileStoreContractTest extends SparseFileStoreContractTest {
    @Override
    protected NativeIo nativeIo() {
        return new ForwardingNativeIo() {
            @Override
            public void fallocate(int fd, int mode, long offset, long length) throws NativeIoException {
                count(fallocateName(mode));
                throw new NativeIoException("fallocate", NativeIoException.EOPNOTSUPP);
            }
        };
    }

    @Override
    protected boolean punchesNatively() {
        return false;
    }

    @Override
    protected boolean punchDeallocates() {
        return false; // zeroes are written over data instead
    }
}
