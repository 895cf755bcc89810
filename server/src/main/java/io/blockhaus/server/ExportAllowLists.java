package io.blockhaus.server;

import io.blockhaus.tls.AllowList;
import io.blockhaus.tls.ExportAccess;
import io.blockhaus.tls.PeerIdentity;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code allow=} lists of the exports the server was started with (command line and volumes
 * remembered from gRPC), by export name: the one {@link ExportAccess} both front ends ask. A name
 * without a list (no {@code allow=}, or a volume created over gRPC while running) is open to
 * anyone who reaches the port. Keyed by name, not by volume: a listed name deleted and created
 * again over gRPC keeps its list, so a restriction cannot be lifted that way.
 */
final class ExportAllowLists implements ExportAccess {
    private final Map<String, AllowList> lists = new HashMap<>();

    ExportAllowLists(Collection<ExportSpec> specs) {
        for (ExportSpec s : specs) {
            if (s.allow().restricted()) {
                lists.put(s.name(), s.allow());
            }
        }
    }

    @Override
    public boolean mayOpen(PeerIdentity peer, String exportName) {
        AllowList list = lists.get(exportName);
        return list == null || list.admits(peer);
    }

    /** Whether any export has an allow list. */
    boolean restrictsAny() {
        return !lists.isEmpty();
    }
}
