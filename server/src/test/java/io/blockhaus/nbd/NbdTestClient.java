package io.blockhaus.nbd;

import io.blockhaus.nbd.codec.NbdClientFlags;
import io.blockhaus.nbd.codec.NbdCommand;
import io.blockhaus.nbd.codec.NbdCommandFlags;
import io.blockhaus.nbd.codec.NbdInfoType;
import io.blockhaus.nbd.codec.NbdMagic;
import io.blockhaus.nbd.codec.NbdOption;
import io.blockhaus.nbd.codec.NbdOptionReplyType;
import io.blockhaus.nbd.codec.NbdReplyType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small blocking NBD client of our own, written from the specification (doc/proto.md), for
 * tests: the fixed-newstyle handshake option by option, transmission requests with simple,
 * structured and extended replies decoded, and raw byte access for hostile input. Every read has
 * a timeout, so a server that stops answering fails the test instead of hanging it.
 *
 * <p>It is also the only client here that speaks NBD_OPT_EXTENDED_HEADERS (64-bit lengths): no
 * Debian 12 client does.
 */
final class NbdTestClient implements AutoCloseable {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);

    /** How replies are framed once transmission starts. */
    enum Mode {
        SIMPLE, STRUCTURED, EXTENDED
    }

    /** One fixed-newstyle option reply. */
    record OptionReply(int option, int type, byte[] data) {
        boolean isError() {
            return NbdOptionReplyType.valueOf(type).isError();
        }

        String typeName() {
            return NbdOptionReplyType.valueOf(type).name();
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(data);
        }

        @Override
        public String toString() {
            return "OptionReply[" + NbdOption.valueOf(option) + " " + typeName() + " " + data.length + " bytes"
                    + (isError() ? " '" + new String(data, StandardCharsets.UTF_8) + "'" : "") + "]";
        }
    }

    /** One reply message on the wire: a simple reply or one structured / extended chunk. */
    sealed interface Message permits Simple, Chunk {
        long cookie();

        boolean done();
    }

    record Simple(long cookie, int error, byte[] data) implements Message {
        @Override
        public boolean done() {
            return true;
        }
    }

    /** A structured (20-byte header) or extended (32-byte header, with {@code offset}) chunk. */
    record Chunk(boolean extended, int flags, int type, long cookie, long offset, byte[] payload) implements Message {
        @Override
        public boolean done() {
            return (flags & 1) != 0;
        }

        String typeName() {
            return NbdReplyType.valueOf(type).name();
        }

        @Override
        public String toString() {
            return "Chunk[" + typeName() + (done() ? " DONE" : "") + " cookie " + cookie + " " + payload.length
                    + " bytes]";
        }
    }

    /** One block status descriptor (64-bit fields: both reply types fit). */
    record Extent(long length, long flags) {
    }

    /** Everything the server answered for one request. */
    record Result(long cookie, int error, String message, List<Message> messages, byte[] data, List<Extent> extents) {
        boolean ok() {
            return error == 0;
        }

        List<Chunk> chunks() {
            return messages.stream().filter(m -> m instanceof Chunk).map(m -> (Chunk) m).toList();
        }

        List<Chunk> chunks(NbdReplyType type) {
            return chunks().stream().filter(c -> c.type() == type.code()).toList();
        }

        @Override
        public String toString() {
            return "Result[cookie " + cookie + " error " + error + " '" + message + "' " + messages + "]";
        }
    }

    private record Pending(int type, long offset, long length) {
    }

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final AtomicLong cookies = new AtomicLong(1);
    private final Map<Long, Pending> pending = new HashMap<>();
    private final Map<Long, List<Message>> partial = new HashMap<>();
    private final int handshakeFlags;
    private boolean structured;
    private boolean extended;
    private long exportSize = -1;
    private int transmissionFlags = -1;

    private NbdTestClient(Socket socket, boolean readGreeting) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        if (readGreeting) {
            long magic = in.readLong();
            long opt = in.readLong();
            if (magic != NbdMagic.NBDMAGIC || opt != NbdMagic.IHAVEOPT) {
                throw new IOException("not a fixed-newstyle NBD server: 0x" + Long.toHexString(magic));
            }
            handshakeFlags = in.readUnsignedShort();
        } else {
            handshakeFlags = -1;
        }
    }

    // ---------------------------------------------------------------- connecting

    /** Connects and reads the greeting; nothing is sent yet. */
    static NbdTestClient connect(int port) throws IOException {
        return new NbdTestClient(socket(port), true);
    }

    /** Connects and reads nothing at all: for raw and half-open tests. */
    static NbdTestClient connectRaw(int port) throws IOException {
        return new NbdTestClient(socket(port), false);
    }

    private static Socket socket(int port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout((int) DEFAULT_TIMEOUT.toMillis());
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), (int) DEFAULT_TIMEOUT.toMillis());
        return s;
    }

    /**
     * Connects, negotiates {@code mode} (with base:allocation selected when structured), and enters
     * transmission on {@code export} with NBD_OPT_GO.
     */
    static NbdTestClient open(int port, Mode mode, String export) throws IOException {
        NbdTestClient c = connect(port);
        try {
            c.clientFlags(NbdClientFlags.FIXED_NEWSTYLE | NbdClientFlags.NO_ZEROES);
            if (mode == Mode.STRUCTURED) {
                c.expectAck(c.option(NbdOption.STRUCTURED_REPLY.code(), new byte[0]));
            } else if (mode == Mode.EXTENDED) {
                c.expectAck(c.option(NbdOption.EXTENDED_HEADERS.code(), new byte[0]));
            }
            if (mode != Mode.SIMPLE) {
                List<OptionReply> r = c.option(NbdOption.SET_META_CONTEXT.code(),
                        metaContextData(export, "base:allocation"));
                c.expectAck(r);
            }
            List<OptionReply> go = c.option(NbdOption.GO.code(), infoData(export));
            c.expectAck(go);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    static NbdTestClient open(int port, Mode mode) throws IOException {
        return open(port, mode, "default");
    }

    private void expectAck(List<OptionReply> replies) throws IOException {
        OptionReply last = replies.getLast();
        if (last.type() != NbdOptionReplyType.ACK.code()) {
            throw new IOException("option refused: " + replies);
        }
    }

    int handshakeFlags() {
        return handshakeFlags;
    }

    long exportSize() {
        return exportSize;
    }

    int transmissionFlags() {
        return transmissionFlags;
    }

    boolean structured() {
        return structured;
    }

    boolean extended() {
        return extended;
    }

    Socket socket() {
        return socket;
    }

    void timeout(Duration d) throws SocketException {
        socket.setSoTimeout((int) d.toMillis());
    }

    // ---------------------------------------------------------------- handshake

    void clientFlags(int flags) throws IOException {
        out.writeInt(flags);
        out.flush();
    }

    /** Sends one option with its data, exactly as given. */
    void sendOption(int option, byte[] data) throws IOException {
        sendOptionHeader(option, data.length);
        out.write(data);
        out.flush();
    }

    /** Sends only an option header claiming {@code length} bytes of data (raw; for hostile input). */
    void sendOptionHeader(int option, long length) throws IOException {
        out.writeLong(NbdMagic.IHAVEOPT);
        out.writeInt(option);
        out.writeInt((int) length);
        out.flush();
    }

    OptionReply readOptionReply() throws IOException {
        long magic = in.readLong();
        if (magic != NbdMagic.OPTION_REPLY) {
            throw new IOException("bad option reply magic 0x" + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        long length = Integer.toUnsignedLong(in.readInt());
        if (length > 1 << 20) {
            throw new IOException("option reply of " + length + " bytes");
        }
        byte[] data = new byte[(int) length];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /**
     * Sends an option and reads its replies up to the final one (ACK or an error); remembers what
     * GO, STRUCTURED_REPLY and EXTENDED_HEADERS settle.
     */
    List<OptionReply> option(int option, byte[] data) throws IOException {
        sendOption(option, data);
        return readOptionReplies(option);
    }

    List<OptionReply> readOptionReplies(int option) throws IOException {
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = readOptionReply();
            if (r.option() != option) {
                throw new IOException("reply for option " + r.option() + " while waiting for " + option);
            }
            replies.add(r);
            if (r.type() == NbdOptionReplyType.INFO.code() && r.data().length >= 12
                    && r.buffer().getShort() == NbdInfoType.EXPORT.code()) {
                ByteBuffer b = r.buffer().position(2);
                exportSize = b.getLong();
                transmissionFlags = Short.toUnsignedInt(b.getShort());
            }
            if (r.isError() || r.type() == NbdOptionReplyType.ACK.code()) {
                break;
            }
        }
        if (replies.getLast().type() == NbdOptionReplyType.ACK.code()) {
            if (option == NbdOption.STRUCTURED_REPLY.code()) {
                structured = true;
            } else if (option == NbdOption.EXTENDED_HEADERS.code()) {
                structured = true;
                extended = true;
            }
        }
        return replies;
    }

    /**
     * NBD_OPT_EXPORT_NAME: the reply is size, flags and (without NO_ZEROES) 124 zero bytes; the
     * returned array holds the zero bytes read (empty when {@code expectZeroes} is false).
     */
    byte[] exportName(String name, boolean expectZeroes) throws IOException {
        sendOption(NbdOption.EXPORT_NAME.code(), name.getBytes(StandardCharsets.UTF_8));
        exportSize = in.readLong();
        transmissionFlags = in.readUnsignedShort();
        byte[] zeroes = new byte[expectZeroes ? 124 : 0];
        in.readFully(zeroes);
        return zeroes;
    }

    /** Option data of NBD_OPT_INFO / NBD_OPT_GO. */
    static byte[] infoData(String name, int... infoTypes) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infoTypes.length);
        b.putInt(n.length).put(n).putShort((short) infoTypes.length);
        for (int t : infoTypes) {
            b.putShort((short) t);
        }
        return b.array();
    }

    /** Option data of NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT. */
    static byte[] metaContextData(String export, String... queries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        try {
            byte[] n = export.getBytes(StandardCharsets.UTF_8);
            d.writeInt(n.length);
            d.write(n);
            d.writeInt(queries.length);
            for (String q : queries) {
                byte[] qb = q.getBytes(StandardCharsets.UTF_8);
                d.writeInt(qb.length);
                d.write(qb);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    // ---------------------------------------------------------------- transmission: sending

    long nextCookie() {
        return cookies.getAndIncrement();
    }

    /**
     * Sends one request header in the negotiated form (extended headers: 64-bit length) and its
     * payload if any; remembers it so its replies can be decoded. Returns the cookie.
     */
    long send(int flags, NbdCommand type, long offset, long length, byte[] payload) throws IOException {
        long cookie = nextCookie();
        sendRequest(cookie, flags, type.code(), offset, length, payload);
        return cookie;
    }

    void sendRequest(long cookie, int flags, int type, long offset, long length, byte[] payload) throws IOException {
        pending.put(cookie, new Pending(type, offset, length));
        writeHeader(extended ? NbdMagic.EXTENDED_REQUEST : NbdMagic.REQUEST, cookie, flags, type, offset, length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    /**
     * A WRITE whose header and payload leave in one system call, as libnbd and the kernel send
     * them (a header sent on its own reaches the server before its payload). Returns the cookie.
     */
    long sendWrite(long offset, byte[] data) throws IOException {
        long cookie = nextCookie();
        pending.put(cookie, new Pending(NbdCommand.WRITE.code(), offset, data.length));
        raw(writeRequest(cookie, offset, data, 0, data.length));
        return cookie;
    }

    /**
     * The wire form of a WRITE of {@code data} with the negotiated header: the header, then
     * {@code data[from, to)} (to send the rest apart). Sends nothing; see {@link #expect}.
     */
    byte[] writeRequest(long cookie, long offset, byte[] data, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate((extended ? 32 : 28) + to - from);
        b.putInt(extended ? NbdMagic.EXTENDED_REQUEST : NbdMagic.REQUEST)
                .putShort((short) (extended ? NbdCommandFlags.PAYLOAD_LEN : 0))
                .putShort((short) NbdCommand.WRITE.code()).putLong(cookie).putLong(offset);
        if (extended) {
            b.putLong(data.length);
        } else {
            b.putInt(data.length);
        }
        return b.put(data, from, to - from).array();
    }

    /** A header with any magic, in the negotiated size; not flushed (follow with {@link #flushOut()}). */
    void writeHeader(int magic, long cookie, int flags, int type, long offset, long length) throws IOException {
        out.writeInt(magic);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        if (extended) {
            out.writeLong(length);
        } else {
            out.writeInt((int) length);
        }
    }

    /** Declares that a raw request with {@code cookie} was sent, so its reply can be decoded. */
    void expect(long cookie, NbdCommand type, long offset, long length) {
        pending.put(cookie, new Pending(type.code(), offset, length));
    }

    void raw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void flushOut() throws IOException {
        out.flush();
    }

    // ---------------------------------------------------------------- transmission: receiving

    /** Reads one reply message (a simple reply, or one chunk). */
    Message readMessage() throws IOException {
        int magic = in.readInt();
        if (magic == NbdMagic.SIMPLE_REPLY) {
            int error = in.readInt();
            long cookie = in.readLong();
            Pending p = pending.get(cookie);
            byte[] data = new byte[0];
            if (p != null && p.type() == NbdCommand.READ.code() && error == 0 && !structured) {
                data = new byte[(int) p.length()];
                in.readFully(data);
            }
            return new Simple(cookie, error, data);
        }
        if (magic != NbdMagic.STRUCTURED_REPLY && magic != NbdMagic.EXTENDED_REPLY) {
            throw new IOException("bad reply magic 0x" + Integer.toHexString(magic));
        }
        boolean ext = magic == NbdMagic.EXTENDED_REPLY;
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long cookie = in.readLong();
        long offset = ext ? in.readLong() : -1;
        long length = ext ? in.readLong() : Integer.toUnsignedLong(in.readInt());
        if (length > (64L << 20)) {
            throw new IOException("chunk payload of " + length + " bytes");
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return new Chunk(ext, flags, type, cookie, offset, payload);
    }

    /** Reads messages until the request {@code cookie} is answered completely. */
    Result await(long cookie) throws IOException {
        return awaitAll(List.of(cookie)).get(cookie);
    }

    /** Reads messages until every cookie is answered completely (in any order, interleaved). */
    Map<Long, Result> awaitAll(Collection<Long> cookies) throws IOException {
        Map<Long, Result> done = new LinkedHashMap<>();
        while (done.size() < cookies.size()) {
            Message m = readMessage();
            if (!pending.containsKey(m.cookie())) {
                throw new IOException("reply for a cookie not in flight: " + m);
            }
            partial.computeIfAbsent(m.cookie(), k -> new ArrayList<>()).add(m);
            if (m.done()) {
                Result r = assemble(m.cookie(), partial.remove(m.cookie()), pending.remove(m.cookie()));
                if (cookies.contains(m.cookie())) {
                    done.put(m.cookie(), r);
                }
            }
        }
        return done;
    }

    private Result assemble(long cookie, List<Message> messages, Pending p) throws IOException {
        int error = 0;
        String message = "";
        byte[] data = null;
        List<Extent> extents = new ArrayList<>();
        if (p.type() == NbdCommand.READ.code()) {
            data = new byte[(int) Math.min(p.length(), 64L << 20)];
        }
        for (Message m : messages) {
            if (m instanceof Simple s) {
                error = s.error();
                if (data != null && s.data().length > 0) {
                    data = s.data();
                }
                continue;
            }
            Chunk c = (Chunk) m;
            ByteBuffer b = ByteBuffer.wrap(c.payload());
            NbdReplyType t = NbdReplyType.valueOf(c.type());
            if (t.isError()) {
                error = b.getInt();
                byte[] text = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(text);
                message = new String(text, StandardCharsets.UTF_8);
            } else if (t.equals(NbdReplyType.OFFSET_DATA)) {
                long off = b.getLong();
                checkInside(p, off, b.remaining(), c);
                b.get(data, (int) (off - p.offset()), b.remaining());
            } else if (t.equals(NbdReplyType.OFFSET_HOLE)) {
                long off = b.getLong();
                long size = Integer.toUnsignedLong(b.getInt());
                checkInside(p, off, size, c);
                Arrays.fill(data, (int) (off - p.offset()), (int) (off - p.offset() + size), (byte) 0);
            } else if (t.equals(NbdReplyType.BLOCK_STATUS)) {
                b.getInt(); // context id
                while (b.remaining() >= 8) {
                    extents.add(new Extent(Integer.toUnsignedLong(b.getInt()), Integer.toUnsignedLong(b.getInt())));
                }
            } else if (t.equals(NbdReplyType.BLOCK_STATUS_EXT)) {
                b.getInt(); // context id
                int count = b.getInt();
                for (int i = 0; i < count; i++) {
                    extents.add(new Extent(b.getLong(), b.getLong()));
                }
            } else if (!t.equals(NbdReplyType.NONE)) {
                throw new IOException("unexpected chunk " + c);
            }
        }
        return new Result(cookie, error, message, List.copyOf(messages), data, List.copyOf(extents));
    }

    private static void checkInside(Pending p, long off, long len, Chunk c) throws IOException {
        if (off < p.offset() || off + len > p.offset() + p.length()) {
            throw new IOException("chunk outside the request's range: " + c);
        }
    }

    // ---------------------------------------------------------------- transmission: one request each

    Result request(int flags, NbdCommand type, long offset, long length, byte[] payload) throws IOException {
        return await(send(flags, type, offset, length, payload));
    }

    Result read(long offset, int length) throws IOException {
        return read(offset, length, 0);
    }

    Result read(long offset, int length, int flags) throws IOException {
        return request(flags, NbdCommand.READ, offset, length, null);
    }

    /** Reads and insists on success; returns the bytes. */
    byte[] readOk(long offset, int length) throws IOException {
        Result r = read(offset, length);
        if (!r.ok()) {
            throw new IOException("READ " + offset + "+" + length + " failed: " + r);
        }
        return r.data();
    }

    Result write(long offset, byte[] data) throws IOException {
        return write(offset, data, 0);
    }

    /** WRITE; under extended headers the PAYLOAD_LEN flag is added, as the spec requires. */
    Result write(long offset, byte[] data, int flags) throws IOException {
        int f = flags | (extended ? NbdCommandFlags.PAYLOAD_LEN : 0);
        return request(f, NbdCommand.WRITE, offset, data.length, data);
    }

    void writeOk(long offset, byte[] data) throws IOException {
        Result r = write(offset, data);
        if (!r.ok()) {
            throw new IOException("WRITE " + offset + "+" + data.length + " failed: " + r);
        }
    }

    Result flush() throws IOException {
        return request(0, NbdCommand.FLUSH, 0, 0, null);
    }

    Result trim(long offset, long length) throws IOException {
        return request(0, NbdCommand.TRIM, offset, length, null);
    }

    Result writeZeroes(long offset, long length, int flags) throws IOException {
        return request(flags, NbdCommand.WRITE_ZEROES, offset, length, null);
    }

    Result cache(long offset, long length) throws IOException {
        return request(0, NbdCommand.CACHE, offset, length, null);
    }

    Result blockStatus(long offset, long length, int flags) throws IOException {
        return request(flags, NbdCommand.BLOCK_STATUS, offset, length, null);
    }

    /** NBD_CMD_DISC: no reply; the server closes once everything in flight is answered. */
    void disconnect() throws IOException {
        long cookie = nextCookie();
        writeHeader(extended ? NbdMagic.EXTENDED_REQUEST : NbdMagic.REQUEST, cookie, 0, NbdCommand.DISC.code(), 0, 0);
        out.flush();
    }

    /**
     * Whether the server closes the connection within {@code within}: reads (and discards)
     * until end of stream or a reset. False if the connection is still open at the deadline.
     */
    boolean awaitClosed(Duration within) throws IOException {
        socket.setSoTimeout((int) Math.max(1, within.toMillis()));
        long deadline = System.nanoTime() + within.toNanos();
        byte[] buf = new byte[8192];
        try {
            while (System.nanoTime() < deadline) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (EOFException | SocketException e) {
            return true; // reset by the server counts as closed
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout((int) DEFAULT_TIMEOUT.toMillis());
            }
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a test socket: nothing to do
        }
    }
}
