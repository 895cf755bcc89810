/**
 * The NBD front end: a Netty server that negotiates fixed-newstyle handshakes and turns
 * transmission requests into engine operations on a per-connection {@link
 * io.blockhaus.engine.Handle}. The wire format lives in {@code nbd.codec}; this package holds the
 * policy: which options and flags we offer, validation at the edge, flow control, the server-wide
 * payload budget, error mapping, and how large payloads travel (READs sent from the file, or read
 * on the worker into the reply's buffer for a loopback client; WRITEs spliced into pipes). It uses the engine's API only (Handle, FileRange, PayloadPipe, Allocation),
 * never the backing stores' own types.
 *
 * <p>The transmission phase, one job per class: {@code NbdTransmissionHandler} decides when
 * (one re-entrant pump over the connection's state); {@code ConnectionWindow} and
 * {@code PayloadBudget} say whether a request may start; {@code PayloadReceiver} gathers or skips a
 * WRITE's payload, {@code PayloadSplicing} may take part of it out of the socket; {@code
 * CommandDispatcher} runs a request inline or on a worker; {@code NbdCommandRunner} and {@code
 * ReadReplies} turn it into engine calls and reply messages; {@code ReplyWriter} writes them and
 * gives the budget back once they are on the socket.
 *
 * <p>Limits on clients: {@code ConnectionAdmission} (total and per-source caps, at accept), the
 * handshake deadline in {@code NbdHandshakeHandler}, {@code IdleDisconnect} (the idle timeout);
 * each refusal is counted in {@link io.blockhaus.limits.Refusals}. Every other connection that
 * ends, in the handshake or in transmission, is counted by why in {@code Disconnects}, and logged
 * when the server closed it on a fault: none ends silently.
 */
package io.blockhaus.nbd;
