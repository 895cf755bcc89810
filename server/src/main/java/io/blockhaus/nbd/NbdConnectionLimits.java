package io.blockhaus.nbd;

import java.time.Duration;

/**
 * Bounds on a client's connections that {@link NbdServerConfig} does not already carry (it has
 * the server-wide cap and the handshake deadline).
 *
 * @param maxPerSource connections one source address may have open; more are closed at accept
 * @param idleTimeout  a connection in transmission with no request in flight, none queued and no
 *                     byte received for this long is closed; {@link Duration#ZERO} for never
 *                     (the default, as nbd-server's {@code timeout = 0}: a kernel nbd-client
 *                     mounts a disk and may send nothing for days while its filesystem is idle)
 */
public record NbdConnectionLimits(int maxPerSource, Duration idleTimeout) {
    /** 64 per address: a kernel client with its 16 multi-connections, four times over. */
    public static final int DEFAULT_MAX_PER_SOURCE = 64;
    public static final NbdConnectionLimits DEFAULTS = new NbdConnectionLimits(DEFAULT_MAX_PER_SOURCE, Duration.ZERO);

    /** One source may use every connection of {@code config}'s total; no idle timeout. */
    static NbdConnectionLimits noPerSourceCap(NbdServerConfig config) {
        return new NbdConnectionLimits(config.maxConnections(), Duration.ZERO);
    }

    public NbdConnectionLimits {
        if (maxPerSource < 1) {
            throw new IllegalArgumentException("connections per source must be at least 1");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("the idle timeout must not be negative");
        }
    }

    boolean idleTimeoutOn() {
        return !idleTimeout.isZero();
    }
}
