package io.blockhaus.nbd;

import io.blockhaus.limits.Refusals;
import io.blockhaus.nbd.codec.NbdHandshakeCodec;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetAddress;
import java.util.concurrent.ExecutorService;

/**
 * Wires one connection's pipeline: the handshake codec and handler, which later replace
 * themselves with the transmission codec and handler. STARTTLS later puts a TLS handler at the
 * head of the pipeline ({@link ConnectionSecurity}). Also admits the connection (total and
 * per-source caps, {@link ConnectionAdmission}) and, when the idle timeout is on, puts
 * {@link IdleDisconnect} at the head.
 */
final class NbdChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final int FLUSH_BATCH = 64;

    private final NbdExports exports;
    private final NbdServerConfig config;
    private final NbdConnectionLimits limits;
    private final ServerResources shared;
    private final ConnectionAdmission admission;
    private final NbdSecurity security;
    private final SecurityRefusals refusals;

    NbdChannelInitializer(NbdExports exports, NbdServerConfig config, NbdConnectionLimits limits,
            NbdSecurity security, ExecutorService workers, NbdEvents events) {
        this.exports = exports;
        this.config = config;
        this.limits = limits;
        this.security = security;
        this.shared = new ServerResources(workers, new ConnectionGauges(),
                new PayloadBudget(config.maxServerInflightBytes(), config.maxConnections(), config.maxPayload()),
                new SpliceCounters(), new Refusals("nbd"), new Disconnects(), events);
        this.admission = new ConnectionAdmission(config.maxConnections(), limits.maxPerSource(), shared.gauges(),
                shared.refusals());
        this.refusals = new SecurityRefusals(shared.refusals());
    }

    ServerResources shared() {
        return shared;
    }

    ConnectionAdmission admission() {
        return admission;
    }

    SecurityRefusals refusals() {
        return refusals;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        InetAddress source = ch.remoteAddress().getAddress();
        if (!admission.tryAdmit(source)) {
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> admission.closed(source));
        ch.config().setAutoRead(false);
        // Per channel: WriteSplicer switches it to header-sized reads while WRITEs stream.
        ch.config().setRecvByteBufAllocator(new HeaderSizedReads(ch.config().getRecvByteBufAllocator()));
        if (limits.idleTimeoutOn()) {
            ch.pipeline().addLast(new IdleDisconnect(limits.idleTimeout(), shared.refusals()));
        }
        ch.pipeline()
                // Replies completing close together (a pipelining client at queue depth 32) go
                // out in one write system call rather than one each.
                .addLast(new FlushConsolidationHandler(FLUSH_BATCH, true))
                .addLast(new NbdHandshakeCodec())
                .addLast(new NbdHandshakeHandler(exports, config, shared, security, refusals));
    }
}
