package io.blockhaus.server;

import io.blockhaus.engine.IoMode;
import io.blockhaus.engine.Volume;
import io.blockhaus.grpc.GrpcSecurity;
import io.blockhaus.grpc.GrpcServer;
import io.blockhaus.nbd.NbdSecurity;
import io.blockhaus.nbd.NbdServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code serve} says on stdout: one line per volume and per front end once everything
 * listens, and a line at each step of a stop. Operators and scripts read these lines (the
 * "running as pid" line is the last of the start, "stopped cleanly" the last of a stop), so
 * their wording lives in one place, apart from {@link ServeCommand}'s order of start-up.
 */
final class ServeConsole {
    private final PrintWriter out;

    ServeConsole(PrintWriter out) {
        this.out = out;
    }

    /** The data directory, the cache and every volume, one line each. */
    void volumes(Path dir, long cacheSize, List<VolumePlan> all, VolumeRegistry registry) {
        out.println("blockhaus: data directory " + dir + ", cache " + SizeParser.format(cacheSize)
                + ", " + all.size() + (all.size() == 1 ? " volume" : " volumes"));
        for (VolumePlan plan : all) {
            out.println(plan.s3().isEmpty() ? describe(plan) : registry.get(plan.name()).map(v -> describe(plan, v)).orElseThrow());
        }
    }

    /** Where NBD listens (with the URI of the first volume) and its TLS. */
    void nbd(NbdServer nbd, HostPort listen, String firstVolume, NbdSecurity security) {
        out.println("blockhaus: NBD listening on " + nbd.address().getHostString() + ":" + nbd.address().getPort()
                + " (nbd://" + listen + "/" + firstVolume + "; " + nbd.transport() + " transport)");
        out.println("blockhaus: NBD TLS " + security.mode().label()
                + security.handlers().map(h -> ", " + h.describe()).orElse(""));
    }

    /** Where gRPC listens, what it serves, and whether over TLS. */
    void grpc(GrpcServer grpc, GrpcSecurity security) {
        out.println("blockhaus: gRPC listening on " + grpc.address().getHostString() + ":" + grpc.address().getPort()
                + " (blockhaus.v1.VolumeIo, blockhaus.v1.VolumeAdmin, health, reflection; "
                + (security.ssl().isPresent() ? "TLS" : "plaintext") + ")");
    }

    /** The metrics endpoint's line, then the last line of a start. */
    void running(MetricsSetup metrics) {
        out.println("blockhaus: " + metrics.describe());
        out.println("blockhaus: running as pid " + ProcessHandle.current().pid() + "; stop with Ctrl-C or SIGTERM");
        out.flush();
    }

    /** A stop began, for {@code reason} (the signal, or a test's request). */
    void stopping(String reason, int volumes) {
        out.println("blockhaus: " + reason + " received; writing back dirty pages and closing " + volumes
                + (volumes == 1 ? " volume" : " volumes"));
        out.flush();
    }

    /** The last line of a stop. */
    void stopped(boolean clean) {
        out.println(clean ? "blockhaus: stopped cleanly" : "blockhaus: stopped with errors (see above)");
        out.flush();
    }

    /** One plain line per volume. */
    static String describe(VolumePlan plan) {
        var c = plan.config();
        return "volume " + c.name() + ": " + SizeParser.format(plan.size()) + " (" + plan.size() + " bytes), file "
                + plan.file() + (plan.create() ? " (created)" : "") + ", " + (c.readOnly() ? "read-only" : "read-write")
                + ", io " + (c.io() == IoMode.DIRECT ? "direct" : "buffered") + ", lock " + c.lockPolicy().label()
                + ", page size " + SizeParser.format(c.pageSize());
    }

    /** One plain line for an s3 volume, whose size and standing are known only once open. */
    static String describe(VolumePlan plan, Volume v) {
        var c = v.config();
        return "volume " + c.name() + ": " + SizeParser.format(v.size()) + " (" + v.size() + " bytes), " + plan.where()
                + ", " + (c.readOnly() ? "read-only" : "read-write") + ", io " + (c.io() == IoMode.DIRECT ? "direct" : "buffered")
                + ", lock " + c.lockPolicy().label() + ", page size " + SizeParser.format(c.pageSize());
    }
}
