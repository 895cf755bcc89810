package io.blockhaus.grpc;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;

/**
 * Request messages under the {@link MessageBudget}: every call, of every service, asks the
 * transport for its next message only once the largest message's bytes are reserved for it.
 *
 * <h2>How</h2>
 * gRPC reads a call's next message off the wire only when the call asks for it
 * ({@link ServerCall#request}); until then the bytes wait in the connection's HTTP/2 window. The
 * stubs ask on their own (a unary or server-streaming call asks for two, to catch a client that
 * sends a second; a streaming call for one more after each). Here the call the stubs see is
 * wrapped ({@link Flow}): their requests are only counted, and this class forwards them one at a
 * time, each after reserving {@code --grpc-max-message} bytes, waiting for the budget if it must
 * (see MessageBudget for why it waits rather than refuses). A reservation is given back when its
 * message is done with: after {@code onMessage} returns for a client-streaming call (the Write
 * receiver has written the chunk by then, see ZeroCopyWrites), after {@code onHalfClose} returns
 * for a call whose client sends one message (the stub keeps the request until the half-close and
 * runs the method then), and when the call ends, however it ends (completed, cancelled, deadline,
 * client gone). A call whose client sends one message is never asked for a second: a client that
 * sends one anyway gets no half-close and waits for its deadline, as one that never half-closes.
 *
 * <h2>Connections</h2>
 * Each connection gets its {@link MessageBudget.Account} (its share) as a transport attribute
 * when it is ready ({@link #transportFilter}); the call finds it there and puts it in the call's
 * {@link Context} ({@link #ACCOUNT}), where {@link ReadStreamer} takes its chunks from.
 *
 * <h2>Threads</h2>
 * {@code request} may be called on any thread (gRPC allows it), so the flow's state is guarded by
 * its monitor, held only for bookkeeping: every transport call and every budget call is made
 * after it is let go. The listener's callbacks are serialized by gRPC; a grant arrives on the
 * thread that released the bytes, and only asks the transport for a message (non-blocking).
 */
final class RequestFlow {
    /** The call's connection account, for what the call sends back (Read chunks). */
    static final Context.Key<MessageBudget.Account> ACCOUNT = Context.key("blockhaus-message-account");
    private static final Attributes.Key<MessageBudget.Account> CONNECTION_ACCOUNT =
            Attributes.Key.create("blockhaus-message-account");

    private final MessageBudget budget;
    private final long messageBytes;

    /** The current call's connection account (set by {@link #interceptor}, which every call passes). */
    static MessageBudget.Account account() {
        MessageBudget.Account a = ACCOUNT.get();
        if (a == null) {
            throw new IllegalStateException("a call outside RequestFlow's interceptor");
        }
        return a;
    }

    RequestFlow(MessageBudget budget, long messageBytes) {
        this.budget = budget;
        this.messageBytes = messageBytes;
    }

    ServerTransportFilter transportFilter() {
        return new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                return attrs.toBuilder().set(CONNECTION_ACCOUNT, budget.open()).build();
            }
        };
    }

    ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                    ServerCallHandler<Q, A> next) {
                MessageBudget.Account account = call.getAttributes().get(CONNECTION_ACCOUNT);
                Flow<Q, A> flow = new Flow<>(call, account == null ? budget.unattached() : account);
                ServerCall.Listener<Q> inner = Contexts.interceptCall(
                        Context.current().withValue(ACCOUNT, flow.account), flow, headers, next);
                return flow.listener(inner);
            }
        };
    }

    /** One call's requests under the budget: at most one message reserved and asked for at a time. */
    private final class Flow<Q, A> extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
        private final MessageBudget.Account account;
        private final boolean oneMessage;
        private int wanted; // guarded by this: messages the stubs asked for, not yet forwarded
        private MessageBudget.Lease lease; // guarded by this: the reservation of the message asked for or being handled
        private boolean reserving; // guarded by this: a reservation asked of the budget, not granted yet
        private MessageBudget.Waiter waiter; // guarded by this: that reservation's waiter, once known
        private boolean asked; // guarded by this: a message was asked for (a one-message call asks once)
        private boolean ended; // guarded by this: half-closed or closed: no message will come

        Flow(ServerCall<Q, A> call, MessageBudget.Account account) {
            super(call);
            this.account = account;
            this.oneMessage = call.getMethodDescriptor().getType().clientSendsOneMessage();
        }

        @Override
        public void request(int n) {
            synchronized (this) {
                wanted += n;
            }
            reserveNext();
        }

        /**
         * Reserves for the next message and asks for it once granted; nothing while a message is
         * reserved or being reserved. The budget is called outside the monitor: a grant at once
         * runs {@link #granted} on this thread, which asks the transport.
         */
        private void reserveNext() {
            synchronized (this) {
                if (ended || wanted == 0 || lease != null || reserving || oneMessage && asked) {
                    return;
                }
                asked = true;
                reserving = true;
            }
            MessageBudget.Waiter w = account.await(messageBytes, this::granted);
            synchronized (this) {
                if (!reserving) {
                    return; // granted already
                }
                if (!ended) {
                    waiter = w;
                    return;
                }
            }
            w.withdraw(); // the call ended meanwhile; a grant that raced past it is released by granted()
        }

        /** The budget granted a reservation (on this thread, or a releasing one): ask for the message. */
        private void granted(MessageBudget.Lease l) {
            synchronized (this) {
                reserving = false;
                waiter = null;
                if (!ended) {
                    lease = l;
                    wanted--;
                    l = null;
                }
            }
            if (l != null) {
                l.release(); // the call ended while it waited
                return;
            }
            super.request(1);
        }

        /** Gives back the reservation of the message just handled; {@code end}: no more will come. */
        private void done(boolean end) {
            MessageBudget.Lease l;
            MessageBudget.Waiter w = null;
            synchronized (this) {
                ended |= end;
                l = lease;
                lease = null;
                if (ended) {
                    w = waiter;
                    waiter = null;
                }
            }
            if (w != null) {
                w.withdraw(); // if a grant raced past it, granted() sees ended and releases
            }
            if (l != null) {
                l.release();
            }
        }

        ServerCall.Listener<Q> listener(ServerCall.Listener<Q> inner) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(inner) {
                @Override
                public void onMessage(Q message) {
                    try {
                        super.onMessage(message);
                    } finally {
                        if (!oneMessage) {
                            done(false);
                            reserveNext();
                        }
                    }
                }

                @Override
                public void onHalfClose() {
                    try {
                        super.onHalfClose();
                    } finally {
                        done(true);
                    }
                }

                @Override
                public void onCancel() {
                    done(true);
                    super.onCancel();
                }

                @Override
                public void onComplete() {
                    done(true);
                    super.onComplete();
                }
            };
        }
    }
}
