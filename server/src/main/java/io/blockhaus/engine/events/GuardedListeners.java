package io.blockhaus.engine.events;

import io.blockhaus.engine.errno.Errno;

/**
 * Wraps a volume's cache, readahead and writeback listeners so that one that throws can never
 * fail the I/O that reported to it (metrics are never worth an I/O): whatever a call throws is
 * dropped. The engine wraps every listener it is given; the {@code NONE}s stay unwrapped, so a
 * volume without listeners keeps calls the JIT removes. The lock's own listener is guarded by
 * the lock ({@code engine.lock.GuardedListener}).
 */
public final class GuardedListeners {
    private GuardedListeners() {
    }

    public static CacheListener guard(CacheListener l) {
        return l == CacheListener.NONE || l instanceof GuardedCache ? l : new GuardedCache(l);
    }

    public static ReadaheadListener guard(ReadaheadListener l) {
        return l == ReadaheadListener.NONE || l instanceof GuardedReadahead ? l : new GuardedReadahead(l);
    }

    public static WritebackListener guard(WritebackListener l) {
        return l == WritebackListener.NONE || l instanceof GuardedWriteback ? l : new GuardedWriteback(l);
    }

    private record GuardedCache(CacheListener d) implements CacheListener {
        @Override
        public void hits(int pages) {
            try {
                d.hits(pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void misses(int pages) {
            try {
                d.misses(pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void evicted(int pages) {
            try {
                d.evicted(pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void invalidated(InvalidationReason reason, int pages) {
            try {
                d.invalidated(reason, pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void invalidateWritten(int pages) {
            try {
                d.invalidateWritten(pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void recalled(int recalls) {
            try {
                d.recalled(recalls);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void revoked() {
            try {
                d.revoked();
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void memoryWaited(long nanos) {
            try {
                d.memoryWaited(nanos);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void closed() {
            try {
                d.closed();
            } catch (Throwable ignored) {
                // see class comment
            }
        }
    }

    private record GuardedReadahead(ReadaheadListener d) implements ReadaheadListener {
        @Override
        public void window(int pages) {
            try {
                d.window(pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void used(int pages) {
            try {
                d.used(pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void wasted(int pages) {
            try {
                d.wasted(pages);
            } catch (Throwable ignored) {
                // see class comment
            }
        }
    }

    private record GuardedWriteback(WritebackListener d) implements WritebackListener {
        @Override
        public void ran(long bytes, long nanos) {
            try {
                d.ran(bytes, nanos);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void failed(Errno errno) {
            try {
                d.failed(errno);
            } catch (Throwable ignored) {
                // see class comment
            }
        }

        @Override
        public void throttled() {
            try {
                d.throttled();
            } catch (Throwable ignored) {
                // see class comment
            }
        }
    }
}
