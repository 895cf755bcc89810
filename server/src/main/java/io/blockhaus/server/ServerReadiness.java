package io.blockhaus.server;

import io.blockhaus.engine.Volume;
import io.blockhaus.metrics.http.Readiness;

/**
 * What {@code /readyz} reports for {@code serve}: ready once every volume is open and both the NBD
 * and the gRPC listeners are bound, not ready again as soon as a volume is closed or the server
 * begins to stop. Start-up sets the steps as it passes them; the volumes are asked at each check,
 * so one closed behind start-up's back (or by a deletion in progress) is seen at once.
 */
final class ServerReadiness implements Readiness {
    private volatile VolumeRegistry volumes;
    private volatile boolean nbdListening;
    private volatile boolean grpcListening;
    private volatile boolean stopping;

    void volumesOpen(VolumeRegistry registry) {
        this.volumes = registry;
    }

    void nbdListening() {
        nbdListening = true;
    }

    void grpcListening() {
        grpcListening = true;
    }

    /** From the first step of the shutdown on (registered last, so closed first). */
    void stopping() {
        stopping = true;
    }

    @Override
    public String notReadyReason() {
        if (stopping) {
            return "the server is stopping";
        }
        VolumeRegistry registry = volumes;
        if (registry == null) {
            return "the volumes are being opened";
        }
        for (Volume v : registry.volumes()) {
            if (v.isClosed()) {
                return "volume " + v.name() + " is closed";
            }
        }
        if (!nbdListening) {
            return "NBD is not listening yet";
        }
        if (!grpcListening) {
            return "gRPC is not listening yet";
        }
        return null;
    }
}
