package io.blockhaus.cli;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every subcommand shares: the exit codes, messages on stderr, and the connection. A
 * subcommand implements {@link #execute()}; a {@link BlockhausException} from it becomes exit 1
 * with the errno first in the message, a local file's {@link IOException} exit 1 too, and a
 * {@link CommandLine.ParameterException} (found while running) exit 2 with the usage, as picocli
 * does for the ones it finds while parsing.
 */
abstract class BaseCommand implements Callable<Integer> {
    static final int EXIT_OK = 0;
    static final int EXIT_OPERATION_ERROR = 1;
    static final int EXIT_USAGE = 2;

    /** How long to try to open the TCP connection: a server address that answers nothing fails within seconds. */
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    @ParentCommand
    Bhctl root;

    @Spec
    CommandSpec spec;

    private ManagedChannel channel;

    @Override
    public final Integer call() {
        try {
            return execute();
        } catch (BlockhausException e) {
            error(describe(e));
            return EXIT_OPERATION_ERROR;
        } catch (IOException | UncheckedIOException e) {
            error(e instanceof UncheckedIOException u ? local(u.getCause()) : local((IOException) e));
            return EXIT_OPERATION_ERROR;
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
        }
    }

    /** The command's work; its exit code. */
    protected abstract int execute() throws IOException;

    /** A client of {@code --server} with the library's EDEADLOCK fallback on; closed with the command. */
    BlockhausClient connect() {
        return connect(true);
    }

    BlockhausClient connect(boolean fallbackOnDeadlock) {
        if (channel == null) {
            NettyChannelBuilder b;
            try {
                b = root.tls().map(tls -> tls.channelBuilder(root.server()))
                        .orElseGet(() -> NettyChannelBuilder.forTarget(root.server()).usePlaintext());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            channel = b.withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                    .idleTimeout(30, TimeUnit.DAYS).build();
        }
        return BlockhausClient.builder(channel).fallbackOnDeadlock(fallbackOnDeadlock).build();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    Streams streams() {
        return root.streams();
    }

    /** "bhctl NAME: message" on stderr. */
    void error(String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("bhctl " + spec.name() + ": " + message);
        err.flush();
    }

    /** A usage error found while running (exit 2, the message and the usage on stderr). */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * The errno first, then the server's words; for a server out of reach, what was tried and why
     * it failed, since the status alone ("UNAVAILABLE: io exception") says neither.
     */
    private String describe(BlockhausException e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof io.netty.channel.ConnectTimeoutException) {
                String errno = t instanceof ConnectException && !(t instanceof io.netty.channel.ConnectTimeoutException)
                        ? "ECONNREFUSED" : t instanceof UnknownHostException ? "EHOSTUNREACH" : "ETIMEDOUT";
                return errno + ": no Blockhaus server reachable at " + root.server() + " (" + t.getMessage()
                        + "); start one with deploy/bin/blockhaus serve, or pass --server HOST:PORT";
            }
        }
        return e.getMessage();
    }

    /** A local file's failure, errno first as for the server's (Java names the cause, not the number). */
    private static String local(IOException e) {
        String errno = switch (e) {
            case java.nio.file.NoSuchFileException x -> "ENOENT";
            case java.nio.file.AccessDeniedException x -> "EACCES";
            case java.nio.file.FileAlreadyExistsException x -> "EEXIST";
            case java.nio.file.NotDirectoryException x -> "ENOTDIR";
            case java.io.FileNotFoundException x -> x.getMessage() != null && x.getMessage().contains("Permission denied")
                    ? "EACCES" : "ENOENT";
            default -> "EIO";
        };
        return errno + ": local file: " + (e.getMessage() == null ? e.toString() : e.getMessage());
    }
}
