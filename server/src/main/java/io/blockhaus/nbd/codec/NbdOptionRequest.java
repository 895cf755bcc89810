package io.blockhaus.nbd.codec;

import io.netty.handler.codec.DecoderResult;
import java.util.List;

/**
 * One client option from the handshake, parsed into the form its option code defines. Options
 * whose data the server never needs (ABORT, LIST, STARTTLS, STRUCTURED_REPLY, EXTENDED_HEADERS and
 * unknown codes) arrive as {@link Plain} with only the data length, which is all a server checks
 * (non-empty data there means ERR_INVALID); so no option message holds a buffer to release.
 * Every option the decoder could not parse also arrives as a failed {@link Plain}.
 */
public sealed interface NbdOptionRequest {
    NbdOption option();

    default DecoderResult decoderResult() {
        return DecoderResult.SUCCESS;
    }

    /** NBD_OPT_EXPORT_NAME: the whole option data is the name; ends the handshake. */
    record ExportName(String name) implements NbdOptionRequest {
        @Override
        public NbdOption option() {
            return NbdOption.EXPORT_NAME;
        }
    }

    /** NBD_OPT_INFO or NBD_OPT_GO: export name plus the information types the client asks for. */
    record Info(NbdOption option, String name, List<NbdInfoType> requests) implements NbdOptionRequest {
        public Info {
            requests = List.copyOf(requests);
        }
    }

    /** NBD_OPT_LIST_META_CONTEXT or NBD_OPT_SET_META_CONTEXT: export name and query strings. */
    record MetaContext(NbdOption option, String exportName, List<String> queries) implements NbdOptionRequest {
        public MetaContext {
            queries = List.copyOf(queries);
        }
    }

    /**
     * Any other option, or one that failed to decode. {@code dataLength} is the unsigned 32-bit
     * length from the option header; the data itself was consumed and dropped.
     */
    record Plain(NbdOption option, long dataLength, DecoderResult decoderResult) implements NbdOptionRequest {
        public Plain(NbdOption option, long dataLength) {
            this(option, dataLength, DecoderResult.SUCCESS);
        }
    }
}
