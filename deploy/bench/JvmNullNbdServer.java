import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A yardstick, not a server: the least a JVM NBD server does. Answers every READ with zeroes,
 * takes every WRITE and FLUSH, one blocking thread per connection (nbd-server's shape), simple
 * replies only, fixed newstyle with NBD_OPT_GO / NBD_OPT_INFO and nothing else. It exists to
 * measure how fast any freshly started JVM serves 4 KiB random reads in its first seconds, beside
 * nbd-server (deploy/bench/nbd-fio.sh's "jvm-null"): the ceiling for Blockhaus's cold-start row.
 *
 *   deploy/bin/jdk25 java deploy/bench/JvmNullNbdServer.java PORT SIZE_BYTES
 */
public final class JvmNullNbdServer {
    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int OPT_ABORT = 2;
    private static final int OPT_INFO = 6;
    private static final int OPT_GO = 7;
    private static final int REP_ACK = 1;
    private static final int REP_INFO = 3;
    private static final int REP_ERR_UNSUP = 0x80000001;
    private static final int CMD_READ = 0;
    private static final int CMD_DISC = 2;
    private static final int MAX = 32 << 20;

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        long size = Long.parseLong(args[1]);
        try (ServerSocket listener = new ServerSocket(port, 64, InetAddress.getLoopbackAddress())) {
            while (true) {
                Socket s = listener.accept();
                s.setTcpNoDelay(true);
                Thread.ofPlatform().daemon().start(() -> serve(s, size));
            }
        }
    }

    private static void serve(Socket s, long size) {
        try (s) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 1 << 16));
            out.writeLong(NBDMAGIC);
            out.writeLong(IHAVEOPT);
            out.writeShort(3); // FIXED_NEWSTYLE | NO_ZEROES
            out.flush();
            in.readInt(); // the client's flags
            if (!negotiate(in, out, size)) {
                return;
            }
            byte[] zeroes = new byte[MAX];
            byte[] sink = new byte[MAX];
            while (true) {
                if (in.readInt() != REQUEST_MAGIC) {
                    return;
                }
                in.readShort(); // flags
                int type = in.readShort();
                long cookie = in.readLong();
                in.readLong(); // offset
                int length = in.readInt();
                if (type == CMD_DISC) {
                    return;
                }
                if (type == 1) { // WRITE: take the payload
                    in.readFully(sink, 0, length);
                }
                out.writeInt(SIMPLE_REPLY_MAGIC);
                out.writeInt(0);
                out.writeLong(cookie);
                if (type == CMD_READ) {
                    out.write(zeroes, 0, length);
                }
                if (in.available() == 0) {
                    out.flush(); // nothing more queued: answer now (as a server batching replies would)
                }
            }
        } catch (EOFException e) {
            // the client left
        } catch (IOException e) {
            System.err.println("jvm-null: " + e);
        }
    }

    /** Options until GO; false when the client aborts or leaves. */
    private static boolean negotiate(DataInputStream in, DataOutputStream out, long size) throws IOException {
        while (true) {
            if (in.readLong() != IHAVEOPT) {
                return false;
            }
            int option = in.readInt();
            int length = in.readInt();
            in.skipNBytes(length);
            if (option == OPT_ABORT) {
                reply(out, option, REP_ACK, new byte[0]);
                return false;
            }
            if (option == OPT_GO || option == OPT_INFO) {
                byte[] info = new byte[12];
                java.nio.ByteBuffer.wrap(info).putShort((short) 0).putLong(size).putShort((short) (1 | 4)); // NBD_INFO_EXPORT: HAS_FLAGS | SEND_FLUSH
                reply(out, option, REP_INFO, info);
                reply(out, option, REP_ACK, new byte[0]);
                if (option == OPT_GO) {
                    return true;
                }
            } else {
                reply(out, option, REP_ERR_UNSUP, new byte[0]);
            }
        }
    }

    private static void reply(DataOutputStream out, int option, int type, byte[] data) throws IOException {
        out.writeLong(OPTION_REPLY_MAGIC);
        out.writeInt(option);
        out.writeInt(type);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }
}
