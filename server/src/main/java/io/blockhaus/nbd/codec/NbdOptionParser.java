package io.blockhaus.nbd.codec;

import io.blockhaus.nbd.codec.NbdDecoderException.Reason;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the complete data of one option (already bounded by {@link NbdLimits#MAX_OPTION_LENGTH})
 * into its {@link NbdOptionRequest}. Every inner length is checked against what is left before
 * it is used, so inconsistent data becomes a failed {@link NbdOptionRequest.Plain}, never an
 * index exception.
 */
final class NbdOptionParser {
    private NbdOptionParser() {
    }

    static NbdOptionRequest parse(NbdOption option, ByteBuf data) {
        int length = data.readableBytes();
        try {
            if (option.equals(NbdOption.EXPORT_NAME)) {
                return new NbdOptionRequest.ExportName(string(data, length));
            } else if (option.equals(NbdOption.INFO) || option.equals(NbdOption.GO)) {
                return info(option, data);
            } else if (option.equals(NbdOption.LIST_META_CONTEXT) || option.equals(NbdOption.SET_META_CONTEXT)) {
                return metaContext(option, data);
            }
            return new NbdOptionRequest.Plain(option, length);
        } catch (Malformed e) {
            return new NbdOptionRequest.Plain(option, length, NbdDecoderException.failure(e.reason, e.getMessage()));
        }
    }

    private static NbdOptionRequest info(NbdOption option, ByteBuf data) throws Malformed {
        String name = string(data, u32(data));
        int count = u16(data);
        if (data.readableBytes() != count * 2) {
            throw new Malformed(Reason.MALFORMED_OPTION, count + " info requests in " + data.readableBytes() + " bytes");
        }
        List<NbdInfoType> requests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            requests.add(NbdInfoType.valueOf(data.readUnsignedShort()));
        }
        return new NbdOptionRequest.Info(option, name, requests);
    }

    private static NbdOptionRequest metaContext(NbdOption option, ByteBuf data) throws Malformed {
        String exportName = string(data, u32(data));
        long count = u32(data);
        // Each query takes at least its 4-byte length, so this also bounds the list allocation.
        if (count > data.readableBytes() / 4) {
            throw new Malformed(Reason.MALFORMED_OPTION, count + " queries in " + data.readableBytes() + " bytes");
        }
        List<String> queries = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            queries.add(string(data, u32(data)));
        }
        if (data.isReadable()) {
            throw new Malformed(Reason.MALFORMED_OPTION, data.readableBytes() + " trailing bytes");
        }
        return new NbdOptionRequest.MetaContext(option, exportName, queries);
    }

    private static long u32(ByteBuf data) throws Malformed {
        need(data, 4);
        return data.readUnsignedInt();
    }

    private static int u16(ByteBuf data) throws Malformed {
        need(data, 2);
        return data.readUnsignedShort();
    }

    private static String string(ByteBuf data, long length) throws Malformed {
        need(data, length);
        if (length > NbdLimits.MAX_STRING_LENGTH) {
            throw new Malformed(Reason.STRING_TOO_LONG, length + " bytes");
        }
        String s = NbdStrings.read(data, (int) length);
        if (s == null) {
            throw new Malformed(Reason.MALFORMED_OPTION, "string is not UTF-8 without NUL");
        }
        return s;
    }

    private static void need(ByteBuf data, long bytes) throws Malformed {
        if (data.readableBytes() < bytes) {
            throw new Malformed(Reason.MALFORMED_OPTION, "needs " + bytes + " bytes, " + data.readableBytes() + " left");
        }
    }

    /** Control flow inside this class only; stackless because it is expected, not exceptional. */
    private static final class Malformed extends Exception {
        final Reason reason;

        Malformed(Reason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }
}
