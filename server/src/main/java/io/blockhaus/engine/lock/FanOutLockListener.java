package io.blockhaus.engine.lock;

import java.util.ArrayList;
import java.util.List;

/**
 * Several listeners on one lock: the gRPC GetLockStats recorder and the metrics binding both
 * watch every volume's lock. Each event goes to each listener in order, each one guarded
 * ({@link GuardedListener}), so a listener that throws loses nothing for its neighbours. Times
 * are asked for if any listener wants them (the others get them too, and may ignore them).
 */
public final class FanOutLockListener implements LockListener {
    private final LockListener[] listeners;
    private final boolean timed;

    private FanOutLockListener(LockListener[] listeners) {
        this.listeners = listeners;
        boolean t = false;
        for (LockListener l : listeners) {
            t |= l.timed();
        }
        this.timed = t;
    }

    /** The listeners that are not {@link LockListener#NONE}: none gives NONE, one gives itself. */
    public static LockListener of(LockListener... listeners) {
        List<LockListener> real = new ArrayList<>(listeners.length);
        for (LockListener l : listeners) {
            if (l == null) {
                throw new NullPointerException("listener (use LockListener.NONE)");
            }
            if (l != LockListener.NONE) {
                real.add(GuardedListener.guard(l));
            }
        }
        return switch (real.size()) {
            case 0 -> LockListener.NONE;
            case 1 -> real.getFirst();
            default -> new FanOutLockListener(real.toArray(LockListener[]::new));
        };
    }

    @Override
    public void acquired(LockMode mode, LockPolicy policy, long waitNanos, boolean contended) {
        for (LockListener l : listeners) {
            l.acquired(mode, policy, waitNanos, contended);
        }
    }

    @Override
    public void released(LockMode mode, LockPolicy policy, long holdNanos) {
        for (LockListener l : listeners) {
            l.released(mode, policy, holdNanos);
        }
    }

    @Override
    public void failed(LockMode mode, LockPolicy policy, long waitNanos, LockOutcome outcome) {
        for (LockListener l : listeners) {
            l.failed(mode, policy, waitNanos, outcome);
        }
    }

    @Override
    public void modeSwitched(LockMode to, LockPolicy policy) {
        for (LockListener l : listeners) {
            l.modeSwitched(to, policy);
        }
    }

    @Override
    public void waited(LockMode mode, LockPolicy policy, long firstPage, long endPage, long waitNanos,
            LockOutcome outcome) {
        for (LockListener l : listeners) {
            l.waited(mode, policy, firstPage, endPage, waitNanos, outcome);
        }
    }

    @Override
    public boolean timed() {
        return timed;
    }
}
