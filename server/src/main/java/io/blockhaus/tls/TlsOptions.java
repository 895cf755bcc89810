package io.blockhaus.tls;

import java.nio.file.Path;
import java.time.Instant;
import picocli.CommandLine.Option;

/**
 * The TLS options of {@code serve}, as a picocli mixin:
 * <pre>
 * --tls off|on|require   --tls-cert FILE --tls-key FILE [--tls-ca FILE [--tls-verify-peer]]
 *                        | --tls-psk FILE
 * </pre>
 * {@link #check()} says whether the combination makes sense without reading a file;
 * {@link #load} reads and checks the files. Both throw {@link TlsConfigException} with one line.
 */
public final class TlsOptions {

    @Option(names = "--tls", paramLabel = "off|on|require", defaultValue = "off", converter = TlsMode.Converter.class,
            description = "TLS on the NBD port: off; on (offered, plain allowed); require (nothing but"
                    + " STARTTLS before TLS; no export named in the clear).")
    private TlsMode mode = TlsMode.OFF;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain of the server (its certificate first).")
    private Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "PEM private key of --tls-cert, unencrypted (PKCS#8, PKCS#1 RSA or SEC1 EC).")
    private Path key;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM CA certificate(s): client certificates are asked for and must chain to it"
                    + " (a client without one is anonymous unless --tls-verify-peer).")
    private Path ca;

    @Option(names = "--tls-verify-peer",
            description = "Require a client certificate that chains to --tls-ca.")
    private boolean verifyPeer;

    @Option(names = "--tls-psk", paramLabel = "FILE",
            description = "TLS-PSK keys instead of certificates: psktool's identity:hexkey lines.")
    private Path psk;

    public TlsOptions() {
    }

    /** For tests and embedding: the options as given on a command line. */
    public TlsOptions(TlsMode mode, Path cert, Path key, Path ca, boolean verifyPeer, Path psk) {
        this.mode = mode;
        this.cert = cert;
        this.key = key;
        this.ca = ca;
        this.verifyPeer = verifyPeer;
        this.psk = psk;
    }

    public TlsMode mode() {
        return mode;
    }

    /** Rejects combinations that cannot work; reads no file. */
    public void check() {
        check(false);
    }

    /**
     * As {@link #check()}; with {@code certificateElsewhere} (the metrics port serves TLS), the
     * certificate options are in use even when the NBD port's TLS is off.
     */
    public void check(boolean certificateElsewhere) {
        boolean anyFile = cert != null || key != null || ca != null || psk != null || verifyPeer;
        if (mode == TlsMode.OFF && certificateElsewhere && psk == null) {
            checkCertificate("--metrics-tls needs --tls-cert and --tls-key");
            return;
        }
        if (mode == TlsMode.OFF) {
            if (anyFile) {
                throw new TlsConfigException("--tls-cert, --tls-key, --tls-ca, --tls-verify-peer and --tls-psk"
                        + " need --tls on or --tls require");
            }
            return;
        }
        if (psk != null) {
            if (cert != null || key != null || ca != null || verifyPeer) {
                throw new TlsConfigException("--tls-psk replaces certificates: give it without --tls-cert,"
                        + " --tls-key, --tls-ca and --tls-verify-peer");
            }
            return;
        }
        checkCertificate("--tls " + mode.label() + " needs --tls-cert and --tls-key (or --tls-psk)");
    }

    private void checkCertificate(String missing) {
        if (!hasCertificate()) {
            throw new TlsConfigException(missing);
        }
        if (verifyPeer && ca == null) {
            throw new TlsConfigException("--tls-verify-peer needs --tls-ca, the CA client certificates must chain to");
        }
    }

    /** Whether both {@code --tls-cert} and {@code --tls-key} are given. */
    public boolean hasCertificate() {
        return cert != null && key != null;
    }

    /** How client certificates are asked for: required, verified when sent (a CA alone), or not at all. */
    public PeerVerification verification() {
        return verifyPeer ? PeerVerification.REQUIRED : ca != null ? PeerVerification.OPTIONAL : PeerVerification.NONE;
    }

    /** The certificate options' files, read and checked as of {@code now}; call only when {@link #hasCertificate()}. */
    public TlsMaterial certificate(Instant now) {
        return TlsMaterial.load(cert, key, ca, now);
    }

    /**
     * Checks the combination, then reads and checks the files as of {@code now}: the NBD port's
     * TLS. A certificate with {@code --tls off} is the metrics port's alone (OFF here): the
     * caller refused it already with {@link #check(boolean)} unless {@code --metrics-tls} asked.
     */
    public TlsConfig load(Instant now) {
        check(hasCertificate());
        if (mode == TlsMode.OFF) {
            return TlsConfig.OFF;
        }
        if (psk != null) {
            return TlsConfig.psk(mode, PskFile.load(psk));
        }
        return TlsConfig.x509(mode, certificate(now), verification());
    }
}
