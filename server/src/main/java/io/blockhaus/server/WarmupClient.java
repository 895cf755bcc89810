package io.blockhaus.server;

import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdHandshakeFlags;
import io.blockhaus.nbd.codec.NbdInfoType;
import io.blockhaus.nbd.codec.NbdMagic;
import io.blockhaus.nbd.codec.NbdOption;
import io.blockhaus.nbd.codec.NbdOptionReplyType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The smallest NBD client the start-up warm-up needs ({@link StartupWarmup}): fixed newstyle,
 * structured replies and {@code NBD_OPT_GO}, as libnbd 1.14 (fio's nbd engine, nbdcopy, qemu)
 * negotiates them, so the server runs the code real clients make it run. Requests go out in
 * batches and the replies of a batch are read before the next one: a batch of 32 keeps 32 requests
 * in flight, like fio's iodepth, without a second thread. Blocking sockets: this runs on a thread
 * of its own, never on an event loop.
 *
 * <p>Not a general client: it checks only what it must to stay in step with the server (magic
 * numbers, the export's size, error replies, which end the warm-up), and WRITE payloads are zeros.
 */
final class WarmupClient implements AutoCloseable {
    private static final int STRUCTURED_DONE = 1;
    private static final int REPLY_ERROR_BIT = 1 << 15;
    private static final byte[] ZEROS = new byte[64 * 1024];

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final long size;
    private int pending;
    private long nextCookie;

    private WarmupClient(Socket socket, DataInputStream in, DataOutputStream out, long size) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.size = size;
    }

    /** Connects to {@code server} and opens {@code export}; the connection is then in transmission. */
    static WarmupClient open(InetSocketAddress server, String export) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            // The kernel picks this socket's port from the ephemeral range, where an operator may
            // also have put the server's own listen port; closed first, the socket then sits in
            // TIME_WAIT on that port, and without SO_REUSEADDR on both sides the listener's bind
            // fails with EADDRINUSE (seen once in eight starts with --nbd-listen 127.0.0.1:37010).
            s.setReuseAddress(true);
            s.connect(server, 5_000);
            s.setSoTimeout(30_000); // a server that stops answering ends the warm-up, never hangs it
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 256 * 1024));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 256 * 1024));
            return new WarmupClient(s, in, out, haggle(in, out, export));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The export's size in bytes, as NBD_INFO_EXPORT gave it. */
    long size() {
        return size;
    }

    /** Queues a request ({@link NbdCommand#READ}, {@code WRITE} with {@code length} zero bytes, or {@code FLUSH}). */
    void send(NbdCommand command, long offset, int length) throws IOException {
        out.writeInt(NbdMagic.REQUEST);
        out.writeShort(0);
        out.writeShort(command.code());
        out.writeLong(nextCookie++);
        out.writeLong(offset);
        out.writeInt(length);
        if (command.equals(NbdCommand.WRITE)) {
            for (int left = length; left > 0; left -= ZEROS.length) {
                out.write(ZEROS, 0, Math.min(left, ZEROS.length));
            }
        }
        pending++;
    }

    /** Sends what {@link #send} queued and reads every reply to it. */
    void completeAll() throws IOException {
        out.flush();
        while (pending > 0) {
            readReply();
        }
    }

    private void readReply() throws IOException {
        int magic = in.readInt();
        if (magic == NbdMagic.SIMPLE_REPLY) {
            // Only replies without data come simple once structured replies are on (WRITE, FLUSH).
            int error = in.readInt();
            in.readLong();
            if (error != 0) {
                throw new IOException("NBD error " + error);
            }
            pending--;
            return;
        }
        if (magic != NbdMagic.STRUCTURED_REPLY) {
            throw new IOException("unexpected reply magic 0x" + Integer.toHexString(magic));
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        in.readLong();
        int length = in.readInt();
        if ((type & REPLY_ERROR_BIT) != 0) {
            throw new IOException("NBD error reply, errno " + (length >= 4 ? in.readInt() : -1));
        }
        in.skipNBytes(Integer.toUnsignedLong(length));
        if ((flags & STRUCTURED_DONE) != 0) {
            pending--;
        }
    }

    private static long haggle(DataInputStream in, DataOutputStream out, String export) throws IOException {
        if (in.readLong() != NbdMagic.NBDMAGIC || in.readLong() != NbdMagic.IHAVEOPT) {
            throw new IOException("not a fixed-newstyle NBD server");
        }
        int serverFlags = in.readUnsignedShort();
        if ((serverFlags & NbdHandshakeFlags.FIXED_NEWSTYLE) == 0) {
            throw new IOException("not a fixed-newstyle NBD server");
        }
        out.writeInt(NbdClientFlags.FIXED_NEWSTYLE | (serverFlags & NbdClientFlags.NO_ZEROES));
        option(out, NbdOption.STRUCTURED_REPLY, new byte[0]);
        if (optionReply(in, NbdOption.STRUCTURED_REPLY) != NbdOptionReplyType.ACK.code()) {
            throw new IOException("the server refused structured replies");
        }
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        byte[] go = new byte[4 + name.length + 2];
        go[0] = (byte) (name.length >>> 24);
        go[1] = (byte) (name.length >>> 16);
        go[2] = (byte) (name.length >>> 8);
        go[3] = (byte) name.length;
        System.arraycopy(name, 0, go, 4, name.length); // no information requests: the last two bytes stay 0
        option(out, NbdOption.GO, go);
        long size = -1;
        while (true) {
            in.readLong();
            in.readInt();
            int type = in.readInt();
            int length = in.readInt();
            if (type == NbdOptionReplyType.ACK.code()) {
                in.skipNBytes(length);
                break;
            }
            if (type == NbdOptionReplyType.INFO.code() && length >= 12) {
                int info = in.readUnsignedShort();
                if (info == NbdInfoType.EXPORT.code()) {
                    size = in.readLong();
                    in.skipNBytes(length - 10L);
                } else {
                    in.skipNBytes(length - 2L);
                }
            } else if (type < 0) {
                throw new IOException("the server refused export " + export + " (option reply 0x" + Integer.toHexString(type) + ")");
            } else {
                in.skipNBytes(length);
            }
        }
        if (size < 0) {
            throw new IOException("no NBD_INFO_EXPORT for " + export);
        }
        return size;
    }

    private static void option(DataOutputStream out, NbdOption option, byte[] data) throws IOException {
        out.writeLong(NbdMagic.IHAVEOPT);
        out.writeInt(option.code());
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    private static int optionReply(DataInputStream in, NbdOption option) throws IOException {
        if (in.readLong() != NbdMagic.OPTION_REPLY || in.readInt() != option.code()) {
            throw new IOException("unexpected reply to option " + option.code());
        }
        int type = in.readInt();
        in.skipNBytes(in.readInt());
        return type;
    }

    /** Says goodbye (NBD_CMD_DISC) if it can and closes the socket. */
    @Override
    public void close() {
        try {
            if (pending == 0) {
                send(NbdCommand.DISC, 0, 0);
                out.flush();
            }
        } catch (IOException e) {
            // closing anyway: the server drops the connection when the socket goes
        } finally {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
