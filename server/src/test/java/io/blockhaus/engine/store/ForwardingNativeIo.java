package io.blockhaus.engine.store;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real system calls, forwarded, with a count per call name: tests override a method to play
 * a kernel that refuses or fails, and read the counts to see what the store tried.
 */
class ForwardingNativeIo implements NativeIo {
    private final NativeIo delegate = FfmNativeIo.instance();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    /** How often {@code name} (e.g. "pwrite", "fallocate:0x3") was called. */
    int calls(String name) {
        AtomicInteger n = calls.get(name);
        return n == null ? 0 : n.get();
    }

    protected final void count(String name) {
        calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    }

    static String fallocateName(int mode) {
        return "fallocate:0x" + Integer.toHexString(mode);
    }

    @Override
    public int open(Path path, int flags, int mode) throws NativeIoException {
        count("open");
        return delegate.open(path, flags, mode);
    }

    @Override
    public void close(int fd) throws NativeIoException {
        count("close");
        delegate.close(fd);
    }

    @Override
    public long pread(int fd, MemorySegment dst, long offset) throws NativeIoException {
        count("pread");
        return delegate.pread(fd, dst, offset);
    }

    @Override
    public long pwrite(int fd, MemorySegment src, long offset) throws NativeIoException {
        count("pwrite");
        return delegate.pwrite(fd, src, offset);
    }

    @Override
    public long preadvNoWait(int fd, MemorySegment[] dsts, long offset) throws NativeIoException {
        count("preadvNoWait");
        return delegate.preadvNoWait(fd, dsts, offset);
    }

    @Override
    public long pwritev(int fd, MemorySegment[] srcs, long offset) throws NativeIoException {
        count("pwritev");
        return delegate.pwritev(fd, srcs, offset);
    }

    @Override
    public void fallocate(int fd, int mode, long offset, long length) throws NativeIoException {
        count(fallocateName(mode));
        delegate.fallocate(fd, mode, offset, length);
    }

    @Override
    public long lseek(int fd, long offset, int whence) throws NativeIoException {
        count("lseek");
        return delegate.lseek(fd, offset, whence);
    }

    @Override
    public void ftruncate(int fd, long length) throws NativeIoException {
        count("ftruncate");
        delegate.ftruncate(fd, length);
    }

    @Override
    public void fsync(int fd) throws NativeIoException {
        count("fsync");
        delegate.fsync(fd);
    }

    @Override
    public void fdatasync(int fd) throws NativeIoException {
        count("fdatasync");
        delegate.fdatasync(fd);
    }

    @Override
    public int blockSize(int fd) throws NativeIoException {
        return delegate.blockSize(fd);
    }

    @Override
    public int[] pipe() throws NativeIoException {
        count("pipe");
        return delegate.pipe();
    }

    @Override
    public int setPipeSize(int fd, int bytes) throws NativeIoException {
        count("setPipeSize");
        return delegate.setPipeSize(fd, bytes);
    }

    @Override
    public long splice(int in, long inOffset, int out, long outOffset, long length, int flags) throws NativeIoException {
        count("splice");
        return delegate.splice(in, inOffset, out, outOffset, length, flags);
    }

    @Override
    public long read(int fd, MemorySegment dst) throws NativeIoException {
        count("read");
        return delegate.read(fd, dst);
    }
}
