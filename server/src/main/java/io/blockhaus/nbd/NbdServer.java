package io.blockhaus.nbd;

import io.blockhaus.limits.Refusals;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The NBD listener: event loops for the sockets (they never block) and a pool of worker threads
 * for engine operations (which do). The worker queue is unbounded on purpose: every connection
 * bounds its own requests in flight and connections are bounded, so the queue is too.
 */
public final class NbdServer implements AutoCloseable {
    private final NbdServerConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup loops;
    private final String transport;
    private final ThreadPoolExecutor workers;
    private final NbdChannelInitializer initializer;
    private final Channel listener;

    private NbdServer(NbdServerConfig config, NbdConnectionLimits limits, NbdExports exports, NbdSecurity security,
            NbdEvents events) throws InterruptedException {
        this.config = config;
        boolean epoll = Epoll.isAvailable();
        this.transport = epoll ? "epoll" : "nio";
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.boss = new MultiThreadIoEventLoopGroup(1, io);
        this.loops = new MultiThreadIoEventLoopGroup(
                config.eventLoops() > 0 ? config.eventLoops() : Runtime.getRuntime().availableProcessors(), io);
        this.workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(), 60, TimeUnit.SECONDS,
                new LinkedTransferQueue<>(), Thread.ofPlatform().name("blockhaus-nbd-worker-", 0).daemon().factory());
        this.initializer = new NbdChannelInitializer(exports, config, limits, security, workers, events);
        try {
            this.listener = new ServerBootstrap()
                    .group(boss, loops)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 256)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childOption(ChannelOption.AUTO_READ, false)
                    // Replies queued beyond the socket: past the high mark a connection takes no
                    // new request until its client has read them down to the low mark.
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            new WriteBufferWaterMark(REPLY_QUEUE_LOW, REPLY_QUEUE_HIGH))
                    // With auto-read off every read is one system call and one trip through the
                    // selector: let one read take up to a megabyte when the client has sent it.
                    // Replies sent from the file count by their length, like buffers, so a client
                    // that does not read them still meets the reply queue's high mark.
                    .childOption(ChannelOption.MESSAGE_SIZE_ESTIMATOR, ReplySizeEstimator.INSTANCE)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR,
                            new AdaptiveRecvByteBufAllocator(MIN_READ_BUFFER, INITIAL_READ_BUFFER, MAX_READ_BUFFER))
                    .childHandler(initializer)
                    .bind(config.listen()).sync().channel();
        } catch (RuntimeException | InterruptedException e) {
            shutdownGroups();
            throw e;
        }
    }

    /**
     * Binds and starts serving {@code exports}; the returned server is listening. No per-source
     * cap beyond the total and no idle timeout (embedders and tests, which connect from one
     * address); {@code serve} passes its own {@link NbdConnectionLimits}.
     */
    public static NbdServer start(NbdServerConfig config, NbdExports exports) throws InterruptedException {
        return new NbdServer(config, NbdConnectionLimits.noPerSourceCap(config), exports, NbdSecurity.NONE,
                NbdEvents.NONE);
    }

    /** {@link #start(NbdServerConfig, NbdExports)} reporting requests to {@code events} (metrics). */
    public static NbdServer start(NbdServerConfig config, NbdExports exports, NbdEvents events)
            throws InterruptedException {
        return new NbdServer(config, NbdConnectionLimits.noPerSourceCap(config), exports, NbdSecurity.NONE, events);
    }

    /** As {@link #start(NbdServerConfig, NbdExports)}, with TLS and per-export access control. */
    public static NbdServer start(NbdServerConfig config, NbdExports exports, NbdSecurity security)
            throws InterruptedException {
        return new NbdServer(config, NbdConnectionLimits.noPerSourceCap(config), exports, security, NbdEvents.NONE);
    }

    /**
     * {@link #start(NbdServerConfig, NbdExports)} with per-source and idle limits other than the
     * defaults, TLS and access control ({@link NbdSecurity#NONE} for none), reporting requests to
     * {@code events} ({@link NbdEvents#NONE} for none): what {@code serve} uses.
     */
    public static NbdServer start(NbdServerConfig config, NbdConnectionLimits limits, NbdExports exports,
            NbdSecurity security, NbdEvents events) throws InterruptedException {
        return new NbdServer(config, limits, exports, security, events);
    }

    /** The bound address (with the real port when the configuration asked for port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** "epoll" (Netty's native transport, when its library loads on this machine) or "nio". */
    public String transport() {
        return transport;
    }

    public int connections() {
        return initializer.shared().gauges().open();
    }

    /** Connections, calls and requests refused by a limit, by reason (for the metrics binding). */
    public Refusals refusals() {
        return initializer.shared().refusals();
    }

    /** Connections that ended in transmission, by why (every one the server closed is also logged). */
    public Disconnects disconnects() {
        return initializer.shared().disconnects();
    }

    /** READ and WRITE payload bytes held over all connections: in flight, or replies not yet written (the server-wide budget's use). */
    public long payloadBytesInFlight() {
        return initializer.shared().payloadBudget().used();
    }

    /**
     * The most payload bytes the server-wide budget had taken at once, sampled whenever a request
     * took from the shared pool (never above its limit; below the pool, every connection is inside
     * its own share).
     */
    public long payloadBytesPeak() {
        return initializer.shared().payloadBudget().peak();
    }

    /** Connections waiting for room in the server-wide payload budget before starting a request. */
    public int connectionsWaitingForBudget() {
        return initializer.shared().gauges().waitingForBudget();
    }

    /** Connections that stopped taking requests because their client is not reading the replies. */
    public int connectionsWaitingForClient() {
        return initializer.shared().gauges().waitingForClient();
    }

    /** Large WRITEs whose payload went from the socket to the file through a pipe, never through the JVM. */
    public long splicedWrites() {
        return initializer.shared().splices().splicedWrites();
    }

    /** Large WRITEs taken into a pipe but then copied out of it (not for the bypass, or direct and partly arrived). */
    public long pipeCopiedWrites() {
        return initializer.shared().splices().copiedWrites();
    }

    /** Large WRITEs of which only a part had arrived when their header was handled (counted when it is). */
    public long partlySplicedWrites() {
        return initializer.shared().splices().partlySplicedWrites();
    }

    /** Of those, the ones whose rest was spliced into the pipe as it arrived: none of the payload passed through the JVM. */
    public long completedInPipeWrites() {
        return initializer.shared().splices().completedInPipeWrites();
    }

    /** READ data chunks sent from the volume's file with sendfile(2) rather than copied. */
    public long readsSentFromFile() {
        return initializer.shared().splices().readsSentFromFile();
    }

    /** READ data chunks a worker read from the volume's file for a loopback client instead (see {@code ReadReplies}). */
    public long readsCopiedFromFile() {
        return initializer.shared().splices().readsCopiedFromFile();
    }

    /** Times a client was refused an export its allow list does not admit it to (reason {@code access}). */
    public long accessRefusals() {
        return initializer.refusals().accessRefusals();
    }

    /** Options refused in the clear under {@code --tls require} (reason {@code tls-required}). */
    public long tlsRequiredRefusals() {
        return initializer.refusals().tlsRequiredRefusals();
    }

    /** TLS handshakes that failed (reason {@code tls-handshake}): a certificate from another CA, none when required, ... */
    public long tlsHandshakeFailures() {
        return initializer.refusals().tlsHandshakeFailures();
    }

    public NbdServerConfig config() {
        return config;
    }

    /**
     * Stops accepting, closes every connection and waits for operations in progress to finish,
     * so the engine can then be closed with nothing running against it.
     */
    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        shutdownGroups();
        workers.shutdown();
        try {
            workers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Shuts both event loop groups down, waiting a bounded time. The wait must be bounded: a
     * server once hung here for good after SIGTERM (its event loops kept selecting), and what
     * follows the NBD server's close is the engine writing back every dirty page, which must
     * happen whatever the sockets do. Both groups are asked first, then awaited.
     */
    private void shutdownGroups() {
        var bossDone = boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        var loopsDone = loops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boolean stopped = bossDone.awaitUninterruptibly(GROUP_STOP_SECONDS, TimeUnit.SECONDS)
                & loopsDone.awaitUninterruptibly(GROUP_STOP_SECONDS, TimeUnit.SECONDS);
        if (!stopped) {
            System.getLogger(NbdServer.class.getName()).log(System.Logger.Level.WARNING,
                    "NBD event loops did not stop within " + GROUP_STOP_SECONDS + " s; going on with the shutdown");
        }
    }

    private static final int GROUP_STOP_SECONDS = 10;
    private static final int MIN_READ_BUFFER = 512;
    private static final int INITIAL_READ_BUFFER = 16 * 1024;
    private static final int MAX_READ_BUFFER = 1024 * 1024;
    private static final int REPLY_QUEUE_LOW = 1024 * 1024;
    private static final int REPLY_QUEUE_HIGH = 4 * 1024 * 1024;
}
