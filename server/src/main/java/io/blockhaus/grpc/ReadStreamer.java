package io.blockhaus.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.blockhaus.engine.Handle;
import io.blockhaus.proto.v1.ReadResponse;
import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One Read answered in chunks of at most {@link Transfers#MAX_CHUNK}, each read from the engine
 * only when the transport can take it ({@code isReady}); otherwise it stops and the on-ready
 * callback resumes it. Each chunk is its own engine read: a large read is not one snapshot, as a
 * large read(2) is not. The chunk's array goes to gRPC without a copy.
 *
 * <h2>Memory: under the server-wide budget</h2>
 * Each chunk reserves its length from the {@link MessageBudget} (the call's connection account,
 * {@link RequestFlow#ACCOUNT}) before it is read, and gives it back when the transport has taken
 * it: when {@code isReady} is true again, which gRPC reports once less than its on-ready
 * threshold (32 KiB) of what was sent is still queued, so the chunk is in the kernel or on the
 * wire. A client that never reads its stream thus holds one reserved chunk, and all of them
 * together never more than the budget; the call's end (completion, failure, cancellation,
 * deadline, the client gone) gives back whatever it holds.
 *
 * <h2>Waiting for the budget</h2>
 * A chunk that does not fit waits without a thread: the budget's grant (on whichever thread gave
 * bytes back, maybe a transport thread) only parks the lease in {@link #granted} and hands
 * {@link #pump} to the worker pool ({@code resume}), in the call's {@link Context} so the engine
 * read still follows the call's deadline and cancellation. It never takes this object's monitor,
 * which {@link #pump} holds across a disk read.
 */
final class ReadStreamer {
    private final ServerCallStreamObserver<ReadResponse> observer;
    private final Handle handle;
    private final boolean direct;
    private final MessageBudget.Account account;
    private final Executor resume;
    private final long end;
    private long pos; // guarded by this
    private boolean done; // guarded by this
    private volatile boolean cancelled;
    private MessageBudget.Lease sent; // guarded by this: the chunk handed to the transport, until it took it
    private MessageBudget.Lease reserved; // guarded by this: the next chunk's bytes
    private boolean reserving; // guarded by this: waiting for the budget
    private MessageBudget.Waiter waiter; // guarded by this
    /** A grant not yet picked up by {@link #pump} (written by the granting thread, without the monitor). */
    private final AtomicReference<MessageBudget.Lease> granted = new AtomicReference<>();

    private ReadStreamer(ServerCallStreamObserver<ReadResponse> observer, Handle handle, long offset, long length,
            boolean direct, MessageBudget.Account account, Executor resume) {
        this.observer = observer;
        this.handle = handle;
        this.direct = direct;
        this.account = account;
        this.resume = resume;
        this.pos = offset;
        this.end = offset + length;
    }

    /**
     * Starts streaming {@code [offset, offset+length)}; the range was checked. {@code workers}
     * runs the stream on when a chunk had to wait for the budget.
     */
    static void start(ServerCallStreamObserver<ReadResponse> observer, Handle handle, long offset, long length,
            boolean direct, MessageBudget.Account account, Executor workers) {
        Context ctx = Context.current();
        ReadStreamer s = new ReadStreamer(observer, handle, offset, length, direct, account,
                r -> workers.execute(ctx.wrap(r)));
        observer.setOnCancelHandler(() -> {
            s.cancelled = true;
            s.pump(); // gives back what it holds
        });
        observer.setOnReadyHandler(s::pump);
        s.pump();
    }

    private synchronized void pump() {
        try {
            while (!done && !cancelled && !observer.isCancelled() && observer.isReady()) {
                release(sent); // ready again: the transport took the last chunk
                sent = null;
                if (pos >= end) {
                    done = true;
                    observer.onCompleted();
                    return;
                }
                int n = (int) Math.min(Transfers.MAX_CHUNK, end - pos);
                if (!reserve(n)) {
                    return; // granted() resumes it
                }
                ByteBuffer chunk = ByteBuffer.allocate(n);
                GrpcCallBudget.run(() -> {
                    if (direct) {
                        handle.readDirect(pos, chunk);
                    } else {
                        handle.read(pos, chunk);
                    }
                });
                observer.onNext(ReadResponse.newBuilder().setOffset(pos)
                        .setData(UnsafeByteOperations.unsafeWrap(chunk.array())).build());
                sent = reserved;
                reserved = null;
                pos += n;
            }
        } catch (RuntimeException e) {
            done = true;
            Calls.fail(observer, e);
        } finally {
            if (done || cancelled || observer.isCancelled()) {
                giveBack();
            }
        }
    }

    /** True once {@code n} bytes are reserved for the next chunk; false while waiting for them. */
    private boolean reserve(int n) {
        if (reserved == null) {
            reserved = granted.getAndSet(null);
        }
        if (reserved != null) {
            reserving = false;
            return true;
        }
        if (reserving) {
            return false;
        }
        reserved = account.tryTake(n);
        if (reserved != null) {
            return true;
        }
        reserving = true;
        waiter = account.await(n, this::granted);
        reserved = granted.getAndSet(null); // granted at once after all: go on
        reserving = reserved == null;
        return reserved != null;
    }

    /** A grant, on the releasing thread: parked for pump, which runs on a worker (never on this thread). */
    private void granted(MessageBudget.Lease lease) {
        granted.set(lease);
        try {
            resume.execute(this::pump);
        } catch (RejectedExecutionException e) {
            release(granted.getAndSet(null)); // the server is stopping: nobody will pump again
        }
    }

    private void giveBack() {
        release(sent);
        release(reserved);
        release(granted.getAndSet(null));
        sent = null;
        reserved = null;
        if (waiter != null) {
            waiter.withdraw(); // a grant that raced past it lands in granted, released by the pump it schedules
            waiter = null;
        }
    }

    private static void release(MessageBudget.Lease lease) {
        if (lease != null) {
            lease.release();
        }
    }
}
