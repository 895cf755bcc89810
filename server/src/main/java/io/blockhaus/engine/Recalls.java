package io.blockhaus.engine;

import io.blockhaus.engine.events.CacheListener;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recall before completion, for every front end at once: each operation that can invalidate
 * mappings (a write of any mode, fallocate, truncate, a store through a mapping) runs inside a
 * {@link Scope} of the calling thread; the invalidations it causes are noted there (by
 * {@link Mapping#pageRemoved}, on the same thread, with the page lock held, so noting only
 * records), and when the outermost scope closes, after the operation released its locks, each
 * mapping's newest {@link Recall} is completed. So an operation from NBD waits for gRPC clients'
 * acknowledgements exactly as one from gRPC does, and the engine knows nothing of either.
 *
 * <p>Why a thread's scope and not a parameter: the shootdown happens deep in the cache
 * ({@code PageCache.remove}, {@code Page.unmapOthers}), called from a dozen paths; threading a
 * collector through all of them would touch every signature of BufferedIo, DirectIo, SpaceOps
 * and the cache for what is, on the fast path, nothing at all. An operation runs on one thread
 * from start to end (the engine hands no part of a client's operation to another thread), so
 * the thread's scope is exactly the operation's. Invalidations outside any scope (closing a
 * volume, unmapping) are not waited for: nobody is waiting for them to complete.
 *
 * <p>Cost on the fast path: one ThreadLocal lookup and a counter per operation; the map is
 * only allocated by the first invalidation. Only the newest recall per mapping is kept, since
 * an owner's acknowledgements are cumulative (a later one covers the earlier ones).
 *
 * <p>Scopes nest (a gather write is several writes; a truncate through the admin API is a
 * handle's truncate): only the outermost completes recalls, so nothing waits with a lock of an
 * enclosing step held. Completion must never run with a page or pagecache lock held: the owner
 * may need to fault (ADD) before it can acknowledge, and the client library's acknowledgement is
 * independent of its faults, but another front end's need not be.
 */
final class Recalls {
    private final ThreadLocal<Scope> scopes = ThreadLocal.withInitial(Scope::new);

    /** Opens (or joins) the calling thread's scope; close it when the operation is done. */
    Scope open() {
        Scope s = scopes.get();
        s.depth++;
        return s;
    }

    /** Called by a mapping, page lock held: the current operation must complete {@code recall}. */
    void noted(Mapping mapping, Recall recall) {
        if (recall == Recall.DONE) {
            return;
        }
        Scope s = scopes.get();
        if (s.depth > 0) {
            s.note(mapping, recall);
        }
    }

    /** One thread's operation in progress. Not thread-safe: only its thread uses it. */
    static final class Scope implements AutoCloseable {
        private int depth;
        private Map<Mapping, Recall> pending; // null until the first invalidation

        private void note(Mapping m, Recall r) {
            if (pending == null) {
                pending = new IdentityHashMap<>();
            }
            pending.put(m, r);
        }

        @Override
        public void close() {
            if (--depth > 0 || pending == null || pending.isEmpty()) {
                return;
            }
            List<Map.Entry<Mapping, Recall>> due = new ArrayList<>(pending.entrySet());
            pending.clear();
            // Recall.complete never throws (its contract). Were one to, the recalls after it would
            // go unwaited, never undone: their invalidations are already queued for their owners.
            for (Map.Entry<Mapping, Recall> e : due) {
                Mapping m = e.getKey();
                CacheListener events = m.volume().events();
                events.recalled(1);
                boolean open = !m.isClosed();
                e.getValue().complete();
                // The engine does not see the owner's verdict; a mapping that was open when its
                // recall began and is closed when it completes was revoked (or, rarely, unmapped
                // by its owner meanwhile, which this counts too).
                if (open && m.isClosed()) {
                    events.revoked();
                }
            }
        }
    }
}
