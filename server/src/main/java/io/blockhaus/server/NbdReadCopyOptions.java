package io.blockhaus.server;

import picocli.CommandLine.Option;

/**
 * The serve command's hidden switch for A/B runs of how streaming READs reach a loopback client:
 * read into a buffer by a worker (the default), or sent from the volume's file with sendfile(2)
 * on the event loop, as remote clients always are (docs/benchmarks/copy-2026-12-06.md).
 */
public final class NbdReadCopyOptions {
    @Option(names = "--nbd-copy-loopback-reads", hidden = true, defaultValue = "true", arity = "1",
            description = "For A/B runs (docs/benchmarks/copy-2026-12-06.md): a loopback client's streaming READs"
                    + " read into a buffer by a worker (true) or sent from the file with sendfile (false).")
    private boolean copyLoopbackReads = true;

    public boolean copyLoopbackReads() {
        return copyLoopbackReads;
    }
}
