package io.blockhaus.nbd.codec;

/**
 * The reply to NBD_OPT_EXPORT_NAME, which has no option-reply framing: export size, transmission
 * flags and, unless the client set NO_ZEROES, 124 reserved zero bytes.
 */
public record NbdExportNameReply(long size, NbdTransmissionFlags flags, boolean noZeroes) {
}
