package io.blockhaus.nbd.codec;

/** One fixed-newstyle option reply; {@link #option()} echoes the client's option code. */
public sealed interface NbdOptionReply {
    NbdOption option();

    NbdOptionReplyType type();

    /** NBD_REP_ACK: success, or the end of a list of replies. */
    record Ack(NbdOption option) implements NbdOptionReply {
        @Override
        public NbdOptionReplyType type() {
            return NbdOptionReplyType.ACK;
        }
    }

    /** NBD_REP_SERVER: one export for NBD_OPT_LIST; {@code details} may be empty. */
    record Server(NbdOption option, String name, String details) implements NbdOptionReply {
        @Override
        public NbdOptionReplyType type() {
            return NbdOptionReplyType.SERVER;
        }
    }

    /** NBD_REP_INFO: one piece of export information for NBD_OPT_INFO/GO. */
    record Info(NbdOption option, NbdInfo info) implements NbdOptionReply {
        @Override
        public NbdOptionReplyType type() {
            return NbdOptionReplyType.INFO;
        }
    }

    /** NBD_REP_META_CONTEXT: one metadata context and the id the server gives it. */
    record MetaContext(NbdOption option, int contextId, String name) implements NbdOptionReply {
        @Override
        public NbdOptionReplyType type() {
            return NbdOptionReplyType.META_CONTEXT;
        }
    }

    /** Any NBD_REP_ERR_* reply, with an optional message for a human (empty for none). */
    record Error(NbdOption option, NbdOptionReplyType type, String message) implements NbdOptionReply {
        public Error {
            if (!type.isError()) {
                throw new IllegalArgumentException("not an error reply type: " + type);
            }
        }
    }
}
