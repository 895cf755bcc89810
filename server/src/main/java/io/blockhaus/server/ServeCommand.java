package io.blockhaus.server;

import io.blockhaus.engine.Engine;
import io.blockhaus.engine.EngineConfig;
import io.blockhaus.grpc.GrpcSecurity;
import io.blockhaus.grpc.GrpcServer;
import io.blockhaus.grpc.GrpcSetup;
import io.blockhaus.grpc.LockStatsBook;
import io.blockhaus.metrics.EngineMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.blockhaus.nbd.NbdServer;
import io.blockhaus.nbd.NbdServerConfig;
import io.blockhaus.nbd.NbdSecurity;
import io.blockhaus.tls.TlsConfig;
import io.blockhaus.tls.TlsConfigException;
import io.blockhaus.tls.TlsOptions;
import java.time.Instant;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import com.sun.net.httpserver.HttpsConfigurator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code blockhaus-server serve}: opens the exported volumes and serves them until SIGTERM or SIGINT,
 * then writes every dirty page back, forces the files and exits 0. This class holds the options
 * (each group of them a picocli mixin of its own: cache, limits, TLS, metrics, s3...) and the order of
 * start-up and shutdown; the data directory's decisions are {@link DataDirectory}'s, what is said
 * on stdout {@link ServeConsole}'s, and each step's undoing {@link Shutdown}'s.
 */
@Command(name = "serve",
        description = {
            "Open the exported volumes and serve them until SIGTERM or SIGINT.",
            "Without --export, serves 'default': <data-dir>/default.img, a 1 GiB sparse file created on first start."
        },
        sortOptions = false,
        showDefaultValues = true,
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        footerHeading = "%nExport keys:%n",
        footer = {
            "  name=NAME             required; 1-255 of A-Z a-z 0-9 . _ - not starting with .",
            "  size=SIZE             required if the file does not exist yet, which creates",
            "                        it sparse; must equal the size of an existing file",
            "  path=FILE             default <data-dir>/NAME.img; a relative FILE must stay",
            "                        inside the data dir; an absolute FILE is used as given",
            "  readonly              refuse writes (the file must exist)",
            "  io=buffered|direct    how plain reads and writes are served (buffered)",
            "  lock=two-state|range  pagecache lock policy (two-state)",
            "  page-size=N           cache page size, power of two, 512 to 64K (4K)",
            "  bypass=SIZE|off       buffered reads and aligned writes this long or longer",
            "                        go around the cache, cached pages kept coherent (256K)",
            "  allow=ID[;ID...]      only these client identities (certificate CN or SAN,",
            "                        PSK identity) may see and open it (default: anyone)",
            "  store=file|s3         where the bytes live (file); s3: in bucket=B under",
            "                        prefix=P (empty) + NAME/, striped over objects of",
            "                        object-size=SIZE (4M) when created; see --s3-* and docs/s3.md",
            "Sizes are bytes or binary units: 4096, 4K, 256M, 1G, 2T.",
            "Example:",
            "  serve --export name=disk1,size=10G \\",
            "        --export name=boot,path=/srv/images/boot.img,readonly"
        })
public final class ServeCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "./blockhaus-data",
            description = "Directory for volume files; created if missing.")
    private Path dataDir;

    @Option(names = "--nbd-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:10809",
            converter = OptionConverters.HostPortConverter.class, description = "NBD listen address (fixed newstyle; every export is offered here).")
    private HostPort nbdListen;

    @Option(names = "--grpc-listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:10810",
            converter = OptionConverters.HostPortConverter.class, description = "gRPC listen address (data plane, admin, health, reflection).")
    private HostPort grpcListen;

    @Mixin
    private MetricsOptions metricsOptions = new MetricsOptions();

    @Mixin
    private CacheOptions cache = new CacheOptions();

    @Option(names = "--export", paramLabel = "SPEC", converter = OptionConverters.ExportSpecConverter.class,
            showDefaultValue = Help.Visibility.NEVER,
            description = "Export a volume: name=NAME[,size=SIZE][,path=FILE][,readonly][,io=buffered|direct]"
                    + "[,lock=two-state|range][,page-size=N][,bypass=SIZE|off][,store=s3,bucket=B[,prefix=P][,object-size=SIZE]]."
                    + " Repeatable. Default: name=default (1G when created).")
    private List<ExportSpec> exports = new ArrayList<>();

    @Option(names = "--nbd-payload-budget", paramLabel = "SIZE", defaultValue = "1G", converter = OptionConverters.SizeConverter.class,
            description = "READ and WRITE payload bytes all NBD connections together may hold (requests in flight"
                    + " and replies not yet written to their sockets; at least 64M).")
    private long nbdPayloadBudget;

    @Option(names = "--nbd-splice-writes", hidden = true, defaultValue = "true", arity = "1",
            description = "For A/B runs (docs/benchmarks/splice-ab-2026-12-05.md): large WRITE payloads through a pipe (true) or copied (false).")
    private boolean nbdSpliceWrites;

    @Mixin
    private JfrOptions jfr = new JfrOptions();

    @Mixin
    private NbdReadCopyOptions readCopies = new NbdReadCopyOptions();

    @Option(names = "--recall-timeout", paramLabel = "DURATION", defaultValue = "5s", converter = OptionConverters.DurationConverter.class,
            description = "How long a write, punch or truncate waits for a gRPC mapping to acknowledge its"
                    + " invalidation before revoking it (ESTALE on its next access): 100ms to 10m.")
    private Duration recallTimeout;

    @Mixin
    private LimitOptions limits = new LimitOptions();

    @Mixin
    private TlsOptions tls = new TlsOptions();

    @Mixin
    private GrpcAccessOptions grpcAccess = new GrpcAccessOptions();

    @Mixin
    private S3Options s3 = new S3Options();

    @Mixin
    private WarmupOptions warmup = new WarmupOptions();
    private S3Parts s3Parts = S3Parts.real();
    private GrpcSecurity grpcSecurity = GrpcSecurity.NONE;

    /** Threads running gRPC calls (engine operations block on locks, memory and disk). */
    private static final int GRPC_THREADS = 16;

    private final StoreFactory storeFactory;
    private final boolean processWide;

    /** What a running {@code serve} bound, for tests that run it in-process (port 0) and stop it. */
    record Running(Shutdown shutdown, InetSocketAddress nbd, InetSocketAddress grpc, InetSocketAddress metrics) {
    }

    private volatile Running running;

    public ServeCommand() {
        this(new FileStoreFactory(), true);
    }

    /**
     * @param storeFactory opens the volumes' files
     * @param processWide  whether to install the SIGTERM / SIGINT handlers and the shutdown hook
     *                     (false in tests, which share their JVM)
     */
    ServeCommand(StoreFactory storeFactory, boolean processWide) {
        this.storeFactory = storeFactory;
        this.processWide = processWide;
    }

    /** As {@link #ServeCommand(StoreFactory, boolean)}, with the parts of s3 volumes from {@code s3Parts}. */
    ServeCommand(StoreFactory storeFactory, S3Parts s3Parts, boolean processWide) {
        this(storeFactory, processWide);
        this.s3Parts = s3Parts;
    }

    /** Set once both front ends listen; null before. */
    Running running() {
        return running;
    }

    Path dataDir() {
        return dataDir;
    }

    HostPort nbdListen() {
        return nbdListen;
    }

    HostPort grpcListen() {
        return grpcListen;
    }

    /** Null for {@code --metrics-listen off}. */
    HostPort metricsListen() {
        return metricsOptions.listen();
    }

    long cacheSize() {
        return cache.cacheSize();
    }

    List<ExportSpec> exports() {
        return List.copyOf(exports);
    }

    /** The NBD server's configuration from the options. */
    NbdServerConfig nbdConfig() {
        return limits.applyTo(NbdServerConfig.defaults(nbdListen.toSocketAddress()))
                .withServerPayloadBudget(nbdPayloadBudget)
                .withSpliceWrites(nbdSpliceWrites)
                .withCopyLoopbackReads(readCopies.copyLoopbackReads());
    }

    Duration recallTimeout() {
        return recallTimeout;
    }

    /** The engine's configuration from the options. */
    EngineConfig engineConfig() {
        return cache.engineConfig();
    }

    /** The volumes to open, from the options (reads the file system, changes nothing). */
    List<VolumePlan> volumePlans() {
        return VolumePlan.resolve(dataDir, exports);
    }

    /** Checks what can be checked without touching anything: cache size, distinct listen addresses. */
    void checkOptions() {
        try {
            cache.check();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (recallTimeout.compareTo(Duration.ofMillis(100)) < 0 || recallTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw usage("--recall-timeout: need 100ms to 10m, got " + OptionConverters.DurationConverter.format(recallTimeout));
        }
        try {
            limits.check();
            s3.check(exports);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        try {
            nbdConfig();
        } catch (IllegalArgumentException e) {
            throw usage("--nbd-payload-budget: " + e.getMessage());
        }
        try {
            metricsOptions.check(tls); // the TLS options too, as --metrics-tls uses them
        } catch (TlsConfigException e) {
            throw usage(e.getMessage());
        }
        List<HostPort> listens = metricsListen() == null ? List.of(nbdListen, grpcListen)
                : List.of(nbdListen, grpcListen, metricsListen());
        for (int i = 0; i < listens.size(); i++) {
            for (int j = i + 1; j < listens.size(); j++) {
                HostPort a = listens.get(i);
                if (a.port() != 0 && a.equals(listens.get(j))) {
                    throw usage("two front ends cannot listen on the same address " + a);
                }
            }
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        checkOptions();
        List<VolumePlan> plans;
        try {
            plans = volumePlans();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        NbdSecurity nbdSecurity = loadTls();
        Optional<HttpsConfigurator> metricsHttps;
        try {
            metricsHttps = metricsOptions.https(tls, Instant.now());
        } catch (TlsConfigException e) {
            throw usage(e.getMessage());
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        Shutdown shutdown = new Shutdown(out, err);
        ExportFileLocks fileLocks = new ExportFileLocks();
        ApiVolumeFile apiFile = new ApiVolumeFile(dir);
        DataDirectory.Claimed claimed = DataDirectory.claim(dir, plans, apiFile, fileLocks, shutdown, err);
        List<ExportSpec> remembered = claimed.remembered();
        List<VolumePlan> all = claimed.all();

        if (processWide) {
            shutdown.installSignalHandlers();
            shutdown.installShutdownHook();
        }
        ServerReadiness readiness = new ServerReadiness();
        MetricsSetup metrics = MetricsSetup.start(metricsListen(), metricsHttps, readiness); // first: /readyz says 503 while volumes open
        shutdown.register("the metrics", metrics);
        S3StoreFactory stores = new S3StoreFactory(storeFactory, s3, s3Parts, out, err);
        shutdown.register("the s3 object stores", stores); // closed after the volumes: see S3StoreFactory
        VolumeRegistry registry = new VolumeRegistry(stores);
        EngineConfig engineConfig = engineConfig();
        LockStatsBook lockStats = new LockStatsBook();
        // The engine's meters (docs/metrics.md) on the registry /metrics serves; with metrics off,
        // an empty composite: it records nothing, and the JFR lock-wait events still work.
        EngineMetrics engineMetrics = new EngineMetrics(
                metrics.registry() != null ? metrics.registry() : new CompositeMeterRegistry(), jfr.lockWaitThreshold());
        VolumeRegistry.VolumeOpener[] opener = new VolumeRegistry.VolumeOpener[1];
        Engine[] engineMade = new Engine[1];
        try {
            registry.openAll(all, () -> {
                Engine engine = new Engine(engineConfig);
                engineMade[0] = engine;
                shutdown.register("the engine", engine);
                engineMetrics.bindEngine(engine);
                opener[0] = (config, store) -> engineMetrics.open(engine, config, store,
                        lockStats.recorderFor(config.name()));
                return opener[0];
            });
        } catch (RuntimeException e) {
            shutdown.closeAll();
            throw e;
        }
        shutdown.register("the volumes", registry);
        try {
            fileLocks.lock(plans, true); // the files this start created: no other server knew them before
            cache.prefault(engineMade[0], out); // the volumes' page sizes are known now
        } catch (RuntimeException e) {
            shutdown.closeAll();
            throw e;
        }
        metrics.bindVolumes(registry);
        readiness.volumesOpen(registry);
        // Before the front ends listen, so the first client meets compiled code (StartupWarmup).
        warmup.runBeforeListening(dir, storeFactory, engineConfig, metricsListen() != null, jfr.lockWaitThreshold(),
                nbdConfig(), out, err);

        NbdServer nbd;
        try {
            ExportAllowLists allowLists = new ExportAllowLists(concat(exports, remembered));
            grpcSecurity = grpcSecurity.withAccess(allowLists);
            nbd = NbdServer.start(nbdConfig(), limits.nbdConnectionLimits(), new RegistryExports(registry),
                    nbdSecurity.withAccess(allowLists), metrics.nbdEvents());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown.closeAll();
            return 1;
        } catch (RuntimeException e) {
            shutdown.closeAll();
            throw new StartupException("cannot listen for NBD on " + nbdListen + ": " + e.getMessage(), e);
        }
        shutdown.register("the NBD server", nbd);
        metrics.bindNbd(nbd);
        metrics.bindRefusals(nbd.refusals());
        readiness.nbdListening();

        ServerCatalog catalog = new ServerCatalog(dir, registry, opener[0], apiFile, lockStats, remembered);
        GrpcServer grpc;
        try {
            grpc = GrpcServer.listen(grpcListen.toSocketAddress(), catalog, GRPC_THREADS, GrpcSetup.DEFAULTS
                    .withRecall(recallTimeout).withLimits(limits.grpcLimits()).withSecurity(grpcSecurity)
                    .withDecoration(metrics.grpcMeters(registry)));
        } catch (RuntimeException e) {
            shutdown.closeAll();
            throw new StartupException("cannot listen for gRPC on " + grpcListen + ": " + e.getMessage(), e);
        }
        shutdown.register("the gRPC server", grpc);
        metrics.bindRefusals(grpc.refusals());
        readiness.grpcListening();
        shutdown.register("readiness", readiness::stopping); // closed first: /readyz fails from the first step of a stop
        running = new Running(shutdown, nbd.address(), grpc.address(), metrics.address());

        ServeConsole console = new ServeConsole(out);
        console.volumes(dir, cacheSize(), all, registry);
        console.nbd(nbd, nbdListen, all.getFirst().config().name(), nbdSecurity);
        console.grpc(grpc, grpcSecurity);
        console.running(metrics);

        String reason = shutdown.awaitStop();
        console.stopping(reason, registry.size());
        boolean clean = shutdown.closeAll();
        console.stopped(clean);
        return clean ? 0 : 1;
    }

    /**
     * The TLS options' files read and checked, and the TLS context built: a problem is a usage
     * error (exit 2) before anything is opened.
     */
    private NbdSecurity loadTls() {
        try {
            TlsConfig config = tls.load(Instant.now());
            grpcSecurity = grpcAccess.security(config, grpcListen);
            return new NbdSecurity(config.mode(), config.handlers(), io.blockhaus.tls.ExportAccess.OPEN);
        } catch (TlsConfigException e) {
            throw usage(e.getMessage());
        }
    }

    private static List<ExportSpec> concat(List<ExportSpec> a, List<ExportSpec> b) {
        List<ExportSpec> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
