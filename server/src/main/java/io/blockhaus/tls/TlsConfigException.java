package io.blockhaus.tls;

/**
 * The TLS options or the files they name cannot be used. The message is one line for the operator
 * and names the option and the file: start-up turns it into a usage error (exit 2).
 */
public final class TlsConfigException extends IllegalArgumentException {

    public TlsConfigException(String message) {
        super(message);
    }

    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
