package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdHandshakeCodec;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.concurrent.ExecutorService;

/**
 * Wires one connection's pipeline: the handshake codec and handler, which later replace
 * themselves with the transmission codec and handler. STARTTLS later puts a TLS handler at the
 * head of the pipeline ({@link ConnectionSecurity}). Also enforces the connection limit.
 */
final class NbdChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final int FLUSH_BATCH = 64;

    private final NbdExports exports;
    private final NbdServerConfig config;
    private final ServerResources shared;
    private final NbdSecurity security;
    private final SecurityRefusals refusals = new SecurityRefusals();

    NbdChannelInitializer(NbdExports exports, NbdServerConfig config, NbdSecurity security, ExecutorService workers) {
        this.exports = exports;
        this.config = config;
        this.security = security;
        this.shared = new ServerResources(workers, new ConnectionGauges(),
                new PayloadBudget(config.maxServerInflightBytes(), config.maxConnections(), config.maxPayload()),
                new SpliceCounters());
    }

    ServerResources shared() {
        return shared;
    }

    SecurityRefusals refusals() {
        return refusals;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (!shared.gauges().tryOpen(config.maxConnections())) {
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> shared.gauges().closed());
        ch.config().setAutoRead(false);
        // Per channel: WriteSplicer switches it to header-sized reads while WRITEs stream.
        ch.config().setRecvByteBufAllocator(new HeaderSizedReads(ch.config().getRecvByteBufAllocator()));
        ch.pipeline()
                // Replies completing close together (a pipelining client at queue depth 32) go
                // out in one write system call rather than one each.
                .addLast(new FlushConsolidationHandler(FLUSH_BATCH, true))
                .addLast(new NbdHandshakeCodec())
                .addLast(new NbdHandshakeHandler(exports, config, shared, security, refusals));
    }
}
