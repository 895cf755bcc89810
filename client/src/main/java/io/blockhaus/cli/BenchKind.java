package io.blockhaus.cli;

import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The kinds of call {@code bhctl bench} mixes, each one call on a random block of the region.
 * Buffered I/O takes the pagecache lock shared (ADD); direct I/O and fallocate take it exclusive
 * (BLOCK) and recall mappings, so together they make the lock contend, which is the point.
 */
enum BenchKind {
    /** A buffered read or write (half each). */
    BUFFERED {
        @Override
        void run(Target t, SplittableRandom rnd, long offset) {
            if (rnd.nextBoolean()) {
                t.handle().read(offset, t.blockSize());
            } else {
                t.handle().write(offset, ByteBuffer.wrap(t.payload()), false);
            }
        }
    },
    /** A direct read or write (half each). */
    DIRECT {
        @Override
        void run(Target t, SplittableRandom rnd, long offset) {
            if (rnd.nextBoolean()) {
                t.handle().readDirect(offset, t.blockSize());
            } else {
                t.handle().writeDirect(offset, ByteBuffer.wrap(t.payload()), false);
            }
        }
    },
    /** A read fault (asked of the server) or a write fault of one page, in the thread's mapped window. */
    FAULT {
        @Override
        void run(Target t, SplittableRandom rnd, long offset) {
            MappedRegion m = t.window();
            long page = t.handle().pageSize();
            long at = rnd.nextLong(m.length() / page) * page;
            if (rnd.nextBoolean()) {
                m.faultIn(at);
            } else {
                m.put(at, ByteBuffer.wrap(t.payload(), 0, (int) Math.min(page, t.blockSize())));
            }
        }
    },
    /** A punch-hole or zero-range of one block (half each). */
    FALLOCATE {
        @Override
        void run(Target t, SplittableRandom rnd, long offset) {
            t.handle().fallocate(rnd.nextBoolean() ? Types.FallocateMode.PUNCH_HOLE : Types.FallocateMode.ZERO_RANGE,
                    offset, t.blockSize());
        }
    },
    /** WILLNEED or DONTNEED on one block (half each). */
    FADVISE {
        @Override
        void run(Target t, SplittableRandom rnd, long offset) {
            t.handle().fadvise(rnd.nextBoolean() ? Types.Advice.WILLNEED : Types.Advice.DONTNEED, offset, t.blockSize());
        }
    };

    /** What a worker thread calls on: its own handle, its mapped window, its write payload. */
    record Target(VolumeHandle handle, MappedRegion window, byte[] payload) {
        int blockSize() {
            return payload.length;
        }
    }

    abstract void run(Target t, SplittableRandom rnd, long offset);
}
