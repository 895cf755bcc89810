package io.blockhaus.server;

import io.blockhaus.nbd.NbdSecurity;
import io.blockhaus.tls.ExportAccess;
import io.blockhaus.tls.TlsConfig;
import io.blockhaus.tls.TlsConfigException;
import io.blockhaus.tls.TlsOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.ParameterException;

/**
 * The security part of {@code serve}'s start-up, kept out of {@link ServeCommand}: the TLS options
 * checked and their files loaded, each problem a usage error (exit 2, one message) raised before
 * anything is created; and the one {@link ExportAccess} both front ends ask.
 */
final class ServeSecurity {
    private ServeSecurity() {
    }

    /** Option combinations only; reads no file. */
    static void check(TlsOptions options, Function<String, ParameterException> usage) {
        try {
            options.check();
        } catch (TlsConfigException e) {
            throw usage.apply(e.getMessage());
        }
    }

    /** The files read and checked as of now. */
    static TlsConfig load(TlsOptions options, Function<String, ParameterException> usage) {
        try {
            return options.load(Instant.now());
        } catch (TlsConfigException e) {
            throw usage.apply(e.getMessage());
        }
    }

    /** The NBD side of {@code config}, its TLS context built now so that its errors come at start too. */
    static NbdSecurity nbd(TlsConfig config, Function<String, ParameterException> usage) {
        try {
            return new NbdSecurity(config.mode(), config.handlers(), ExportAccess.OPEN);
        } catch (TlsConfigException e) {
            throw usage.apply(e.getMessage());
        }
    }

    /** The {@code allow=} lists of the command line's exports and of those remembered from gRPC. */
    static ExportAccess access(List<ExportSpec> commandLine, List<ExportSpec> remembered) {
        List<ExportSpec> all = new ArrayList<>(commandLine);
        all.addAll(remembered);
        return new ExportAllowLists(all);
    }
}
