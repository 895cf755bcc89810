package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdError;
import io.blockhaus.nbd.codec.NbdRequest;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs started requests and hands each one's replies back on the connection's event loop. A READ
 * of cached pages, or a WRITE into cached pages, is done right there on the loop when the engine
 * can do it without waiting (no thread hop for a cache hit); everything else runs on a worker,
 * since engine operations wait on locks and disks and the event loop must never wait.
 *
 * <p>{@code done} runs on the event loop, and for an inline request before {@link #dispatch}
 * returns: the caller must not depend on which (its pump is re-entrant for that reason).
 */
final class CommandDispatcher {
    /** What a finished request hands back, on the event loop. */
    interface Completion {
        void done(Job job, List<Object> replies);
    }

    private final ExecutorService workers;
    private final EventExecutor loop;
    private final NbdCommandRunner runner;
    private final ReadReplies reads;

    CommandDispatcher(ExecutorService workers, EventExecutor loop, NbdCommandRunner runner, ReadReplies reads) {
        this.workers = workers;
        this.loop = loop;
        this.runner = runner;
        this.reads = reads;
    }

    void dispatch(Job job, Completion done) {
        List<Object> inline;
        try {
            inline = tryInline(job);
        } catch (RuntimeException e) {
            // The engine failed on the loop (a store error while filling from memory): the
            // request is answered with its errno, as on a worker; the connection goes on.
            if (job.payload() != null) {
                job.payload().release(); // the inline WRITE releases it only when it succeeds
            }
            done.done(job, runner.failure(job.request(), e));
            return;
        }
        if (inline != null) {
            done.done(job, inline);
            return;
        }
        try {
            workers.execute(() -> {
                List<Object> replies = runOnWorker(job);
                try {
                    loop.execute(() -> done.done(job, replies));
                } catch (RejectedExecutionException e) {
                    // The event loop is gone, and the connection with it.
                    if (job.pipe() != null) {
                        job.pipe().close();
                    }
                    replies.forEach(ReferenceCountUtil::release);
                }
            });
        } catch (RejectedExecutionException e) {
            if (job.payload() != null) {
                job.payload().release();
            }
            done.done(job, runner.error(job.request(), NbdError.ESHUTDOWN, "server is shutting down"));
        }
    }

    private List<Object> runOnWorker(Job job) {
        try {
            return job.pipe() == null ? runner.run(job.request(), job.payload())
                    : runner.runSpliced(job.request(), job.pipe(), job.payload());
        } catch (Error e) {
            // An Error (a bug's AssertionError, an OutOfMemoryError) would kill the worker and
            // leave the request unanswered for good: answer EIO, logged like any unexpected
            // failure. The runner released the payload on the way out.
            return runner.failure(job.request(), new IllegalStateException(e));
        }
    }

    /** The replies if the engine answered on this thread without waiting; null to go to a worker. */
    private List<Object> tryInline(Job job) {
        NbdRequest r = job.request();
        if (r.command().equals(NbdCommand.READ)) {
            return reads.readInline(r);
        }
        if (r.command().equals(NbdCommand.WRITE) && job.pipe() == null) {
            return runner.writeInline(r, job.payload());
        }
        return null;
    }
}
