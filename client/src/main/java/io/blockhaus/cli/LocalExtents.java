package io.blockhaus.cli;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The data ranges of a local file, found with lseek(SEEK_DATA / SEEK_HOLE): what import copies,
 * everything else being holes it punches. Java's FileChannel has no SEEK_DATA, so this opens the
 * file a second time through FFM (read-only, only to seek). On a filesystem without hole support
 * the kernel reports the whole file as data, which is correct, only not sparse.
 */
final class LocalExtents {
    /** A data range {@code [offset, offset+length)}. */
    record Range(long offset, long length) {
        long end() {
            return offset + length;
        }
    }

    private static final int O_RDONLY = 0;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE = Linker.Option.captureCallState("errno");
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle LSEEK = downcall("lseek",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private LocalExtents() {
    }

    @SuppressWarnings("restricted") // the launcher and the jar manifest enable native access
    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, CAPTURE);
    }

    /** The data ranges of {@code file}, in order, within its first {@code size} bytes. */
    static List<Range> data(Path file, long size) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(file.toString()), O_RDONLY);
            if (fd < 0) {
                throw new IOException(file + ": open: errno " + (int) ERRNO.get(state, 0L));
            }
            try {
                List<Range> out = new ArrayList<>();
                long at = 0;
                while (at < size) {
                    long data = (long) LSEEK.invokeExact(state, fd, at, SEEK_DATA);
                    if (data < 0) {
                        int errno = (int) ERRNO.get(state, 0L);
                        if (errno == ENXIO) {
                            break; // no data after 'at': the rest is a hole
                        }
                        throw new IOException(file + ": lseek(SEEK_DATA): errno " + errno);
                    }
                    long hole = (long) LSEEK.invokeExact(state, fd, data, SEEK_HOLE);
                    if (hole < 0) {
                        throw new IOException(file + ": lseek(SEEK_HOLE): errno " + (int) ERRNO.get(state, 0L));
                    }
                    long end = Math.min(hole, size);
                    if (data >= end) {
                        break;
                    }
                    out.add(new Range(data, end - data));
                    at = end;
                }
                return out;
            } finally {
                int ignored = (int) CLOSE.invokeExact(state, fd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(file + ": " + t, t);
        }
    }
}
