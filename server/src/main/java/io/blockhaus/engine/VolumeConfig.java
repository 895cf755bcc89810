package io.blockhaus.engine;

import io.blockhaus.engine.lock.LockPolicy;
import java.time.Duration;

/**
 * How one volume is exported.
 *
 * @param name              export name: 1 to 255 bytes of [A-Za-z0-9._-], not starting with '.'
 * @param pageSize          cache page size in bytes, a power of two from 512 to 64 KiB
 * @param readOnly          refuse every change with EROFS
 * @param io                how plain front-end reads and writes are served
 * @param lockPolicy        two-state or range
 * @param lockTimeout       the longest any operation waits for the pagecache lock (then ETIMEDOUT)
 * @param faultAroundPages  pages a fault brings in around the faulting one (aligned window, power of two)
 * @param readaheadMaxPages the largest readahead window (doubled for SEQUENTIAL handles)
 * @param bypassBytes       buffered reads and page-aligned writes at least this long that miss the
 *                          cache go around it, as direct I/O does (a streaming transfer would only
 *                          evict the working set and pay per-page costs); 0 turns this off
 */
public record VolumeConfig(
        String name,
        int pageSize,
        boolean readOnly,
        IoMode io,
        LockPolicy lockPolicy,
        Duration lockTimeout,
        int faultAroundPages,
        int readaheadMaxPages,
        int bypassBytes) {

    public static final int DEFAULT_PAGE_SIZE = 4096;
    public static final int MAX_NAME_BYTES = 255;
    /** bcache's sequential_cutoff plays the same role; 256 KiB is above what file systems send for metadata. */
    public static final int DEFAULT_BYPASS_BYTES = 256 * 1024;

    public VolumeConfig {
        if (!validName(name)) {
            throw new IllegalArgumentException("volume name '" + name
                    + "' must be 1-255 characters of A-Z a-z 0-9 . _ - and must not start with '.'");
        }
        if (pageSize < 512 || pageSize > 65536 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " must be a power of two from 512 to 65536");
        }
        if (faultAroundPages < 1 || Integer.bitCount(faultAroundPages) != 1) {
            throw new IllegalArgumentException("fault-around must be a power of two number of pages");
        }
        if (readaheadMaxPages < 1) {
            throw new IllegalArgumentException("readahead window must be at least one page");
        }
        if (bypassBytes < 0) {
            throw new IllegalArgumentException("bypass threshold must be 0 (off) or positive");
        }
    }

    public static VolumeConfig of(String name) {
        return new VolumeConfig(name, DEFAULT_PAGE_SIZE, false, IoMode.BUFFERED, LockPolicy.TWO_STATE,
                Duration.ofSeconds(30), 16, 32, DEFAULT_BYPASS_BYTES);
    }

    public VolumeConfig withPageSize(int size) {
        return new VolumeConfig(name, size, readOnly, io, lockPolicy, lockTimeout, faultAroundPages, readaheadMaxPages, bypassBytes);
    }

    public VolumeConfig withReadOnly(boolean ro) {
        return new VolumeConfig(name, pageSize, ro, io, lockPolicy, lockTimeout, faultAroundPages, readaheadMaxPages, bypassBytes);
    }

    public VolumeConfig withIo(IoMode mode) {
        return new VolumeConfig(name, pageSize, readOnly, mode, lockPolicy, lockTimeout, faultAroundPages, readaheadMaxPages, bypassBytes);
    }

    public VolumeConfig withLockPolicy(LockPolicy policy) {
        return new VolumeConfig(name, pageSize, readOnly, io, policy, lockTimeout, faultAroundPages, readaheadMaxPages, bypassBytes);
    }

    public VolumeConfig withLockTimeout(Duration timeout) {
        return new VolumeConfig(name, pageSize, readOnly, io, lockPolicy, timeout, faultAroundPages, readaheadMaxPages, bypassBytes);
    }

    public VolumeConfig withFaultAroundPages(int pages) {
        return new VolumeConfig(name, pageSize, readOnly, io, lockPolicy, lockTimeout, pages, readaheadMaxPages, bypassBytes);
    }

    public VolumeConfig withReadaheadMaxPages(int pages) {
        return new VolumeConfig(name, pageSize, readOnly, io, lockPolicy, lockTimeout, faultAroundPages, pages, bypassBytes);
    }

    public VolumeConfig withBypassBytes(int bytes) {
        return new VolumeConfig(name, pageSize, readOnly, io, lockPolicy, lockTimeout, faultAroundPages, readaheadMaxPages,
                bytes);
    }

    /** Export names become file names, so they are kept to a set that can never leave a directory. */
    public static boolean validName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_BYTES || name.charAt(0) == '.') {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
