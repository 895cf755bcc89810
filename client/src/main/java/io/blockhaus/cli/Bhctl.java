package io.blockhaus.cli;

import io.blockhaus.client.ClientTls;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code bhctl}: the root command. It holds what every subcommand shares (the server address,
 * the process's streams) and runs one command line: {@link #run} returns the exit code
 * ({@link BaseCommand#EXIT_OK}, {@link BaseCommand#EXIT_OPERATION_ERROR}, {@link BaseCommand#EXIT_USAGE}),
 * so tests call it in-process and {@link #main} hands it to the JVM.
 */
@Command(name = "bhctl", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        versionProvider = Bhctl.Version.class,
        description = "Drives a Blockhaus server over its gRPC API.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the operation succeeded", "1:the operation failed (the message names the errno)",
            "2:usage error (bad arguments)"},
        subcommands = {VolumesCommand.class, CreateCommand.class, DeleteCommand.class, ResizeCommand.class,
            StatCommand.class, ReadCommand.class, WriteCommand.class, FallocateCommand.class, FadviseCommand.class,
            TruncateCommand.class, FlushCommand.class, FaultCommand.class, DioFromMappingCommand.class,
            BlockStatusCommand.class, LocksCommand.class, ImportCommand.class, ExportCommand.class,
            BenchCommand.class, AutoComplete.GenerateCompletion.class})
public final class Bhctl implements Runnable {
    /** The server bhctl talks to when {@code --server} is not given (serve's default gRPC address). */
    public static final String DEFAULT_SERVER = "127.0.0.1:10810";

    @Option(names = "--server", paramLabel = "HOST:PORT", defaultValue = DEFAULT_SERVER, scope = ScopeType.INHERIT,
            description = "The server's gRPC address (default: ${DEFAULT-VALUE}).")
    String server = DEFAULT_SERVER;

    @Option(names = "--tls-ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Connect over TLS, trusting the CA certificate(s) in this PEM file.")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Connect over mutual TLS with this client certificate (PEM); needs --tls-key.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "The client certificate's private key (PEM, PKCS#8).")
    Path tlsKey;

    private final Streams streams;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** For picocli's completion generator and {@link #main}: the process's streams. */
    public Bhctl() {
        this(Streams.system());
    }

    public Bhctl(Streams streams) {
        this.streams = streams;
    }

    Streams streams() {
        return streams;
    }

    String server() {
        return server;
    }

    /** TLS when any --tls-* option is given; plaintext otherwise. */
    Optional<ClientTls> tls() {
        if (tlsCa == null && tlsCert == null && tlsKey == null) {
            return Optional.empty();
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together");
        }
        ClientTls tls = new ClientTls(Optional.ofNullable(tlsCa), Optional.empty(), Optional.empty());
        return Optional.of(tlsCert == null ? tls : tls.withClientCertificate(tlsCert, tlsKey));
    }

    /** bhctl alone: the usage, as a usage error (a command is required). */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** Runs one command line on {@code streams}; the exit code. */
    public static int run(Streams streams, String... args) {
        CommandLine cl = new CommandLine(new Bhctl(streams));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(streams.out(), StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(streams.err(), StandardCharsets.UTF_8), true);
        cl.setOut(out).setErr(err);
        cl.setParameterExceptionHandler(Bhctl::usageError);
        cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * A usage error: the message, picocli's suggestions for a mistyped name, and always the usage
     * (picocli's own handler leaves the usage out when it has a suggestion).
     */
    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(cl.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.print(cl.getUsageMessage());
        err.flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    public static void main(String[] args) {
        System.exit(run(Streams.system(), args));
    }

    /** The version from the jar's manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Bhctl.class.getPackage().getImplementationVersion();
            return new String[] {"bhctl " + (v == null ? "dev" : v)};
        }
    }
}
