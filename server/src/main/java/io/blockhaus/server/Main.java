package io.blockhaus.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * Entry point of blockhaus-server.jar.
 *
 * <p>Exit codes: 0 success (including a stop by SIGTERM or SIGINT once every volume closed cleanly),
 * 2 usage error (bad option or configuration; one message and a hint on stderr), 1 runtime failure
 * (one line on stderr; the stack trace too with {@code --verbose}).
 */
@Command(name = "blockhaus-server",
        description = "Blockhaus: a networked block-device server.",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        subcommands = {ServeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of failures.")
    boolean verbose;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command (try: blockhaus-server serve)");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (never exits the JVM). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with Blockhaus's error handling: one-line messages, exit codes 0, 1, 2. */
    public static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    /** As {@link #commandLine()}, with {@code factory} creating the commands (tests inject seams here). */
    static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cmd = new CommandLine(new Main(), factory);
        cmd.setParameterExceptionHandler(USAGE_ERROR);
        cmd.setExecutionExceptionHandler(RUNTIME_ERROR);
        return cmd;
    }

    private static final IParameterExceptionHandler USAGE_ERROR = (ex, args) -> {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return EXIT_USAGE;
    };

    private static final IExecutionExceptionHandler RUNTIME_ERROR = (ex, cmd, parseResult) -> {
        PrintWriter err = cmd.getErr();
        err.println("blockhaus-server: error: " + StartupException.describe(ex));
        if (verbose(parseResult)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_FAILURE;
    };

    private static boolean verbose(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** The version, from the build (a Maven-filtered resource). */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"blockhaus-server " + version(), "Java " + Runtime.version()};
        }

        static String version() {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                return "unknown";
            }
            return p.getProperty("version", "unknown");
        }
    }
}
