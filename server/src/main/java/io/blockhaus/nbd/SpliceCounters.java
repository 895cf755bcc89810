package io.blockhaus.nbd;

import java.util.concurrent.atomic.LongAdder;

/**
 * How large transfers travelled, over all connections. WRITEs: spliced (socket to pipe to file,
 * never through the JVM, but for the rest of a payload that arrived only partly before its header
 * was handled) or through a pipe but copied out of it after all (the engine could not take it
 * around the cache); {@code partly} counts the partly arrived ones, whichever way they went, and
 * {@code completedInPipe} those of them whose rest was spliced into the pipe too as it arrived.
 * READs: data chunks sent from the file with sendfile(2), or read from it on a worker for a
 * loopback client ({@code ReadReplies}).
 * Written by workers and event loops, read by tests and, later, by the metrics binding.
 */
final class SpliceCounters {
    private final LongAdder spliced = new LongAdder();
    private final LongAdder copied = new LongAdder();
    private final LongAdder partly = new LongAdder();
    private final LongAdder completedInPipe = new LongAdder();
    private final LongAdder sentFromFile = new LongAdder();
    private final LongAdder copiedFromFile = new LongAdder();

    void spliced() {
        spliced.increment();
    }

    void copied() {
        copied.increment();
    }

    /** A payload only partly in the socket when its header was handled: the rest comes by reads. */
    void partly() {
        partly.increment();
    }

    long partlySplicedWrites() {
        return partly.sum();
    }

    /** A partly arrived payload whose rest was spliced into its pipe as well: none of it is copied. */
    void completedInPipe() {
        completedInPipe.increment();
    }

    long completedInPipeWrites() {
        return completedInPipe.sum();
    }

    void sentFromFile() {
        sentFromFile.increment();
    }

    long readsSentFromFile() {
        return sentFromFile.sum();
    }

    void copiedFromFile() {
        copiedFromFile.increment();
    }

    long readsCopiedFromFile() {
        return copiedFromFile.sum();
    }

    long splicedWrites() {
        return spliced.sum();
    }

    long copiedWrites() {
        return copied.sum();
    }
}
