package io.blockhaus.grpc;

import com.google.protobuf.Empty;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.engine.lock.LockMode;
import io.blockhaus.engine.lock.PagecacheLock;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.blockhaus.limits.UntrustedText;
import io.blockhaus.proto.v1.CreateVolumeRequest;
import io.blockhaus.proto.v1.DeleteVolumeRequest;
import io.blockhaus.proto.v1.GetLockStatsRequest;
import io.blockhaus.proto.v1.GetVolumeRequest;
import io.blockhaus.proto.v1.ListVolumesRequest;
import io.blockhaus.proto.v1.ListVolumesResponse;
import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.ModeStats;
import io.blockhaus.proto.v1.ResizeVolumeRequest;
import io.blockhaus.proto.v1.Volume;
import io.blockhaus.proto.v1.VolumeAdminGrpc;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * Volume administration over the {@link VolumeCatalog}: the catalog owns files, NBD exports and
 * persistence; this class turns requests into catalog calls and entries into resources.
 * ListVolumes pages by name: the token is the last name of the previous page.
 */
final class VolumeAdminService extends VolumeAdminGrpc.VolumeAdminImplBase {
    private final VolumeCatalog catalog;
    private final HandleTable handles;
    private final Refusals refusals;

    private final GrpcSecurity security;

    VolumeAdminService(VolumeCatalog catalog, HandleTable handles, GrpcSecurity security, Refusals refusals) {
        this.catalog = catalog;
        this.handles = handles;
        this.security = security;
        this.refusals = refusals;
    }

    /** Create, delete and resize: for the identities {@code --admin} names (see {@link GrpcSecurity}). */
    private void requireAdmin(String what) {
        Caller caller = Caller.current();
        if (!security.mayAdminister(caller)) {
            refusals.tally(RefusalReason.ADMIN); // logged here, with the caller
            System.getLogger(VolumeAdminService.class.getName()).log(System.Logger.Level.INFO,
                    () -> what + " refused to " + caller.identity().describe() + (caller.local() ? " (local)" : ""));
            throw RequestException.denied(what + " needs an identity named by --admin"
                    + (security.admins().isEmpty() ? " (none given: only callers on the server's host)" : ""));
        }
    }

    @Override
    public void createVolume(CreateVolumeRequest r, StreamObserver<Volume> out) {
        Calls.unary(out, () -> {
            requireAdmin("CreateVolume");
            Volume v = r.getVolume();
            // The name becomes a file name in the data directory: this character set has no '/'
            // and no leading '.', so no "..", no absolute path, no NUL, and at most 255 bytes.
            if (!VolumeConfig.validName(r.getVolumeId())) {
                refusals.refused(RefusalReason.INVALID_NAME, "CreateVolume volume_id " + UntrustedText.quote(r.getVolumeId()));
                throw RequestException.invalid("volume_id " + UntrustedText.quote(r.getVolumeId())
                        + " must be 1-255 characters of A-Z a-z 0-9 . _ - not starting with '.'");
            }
            if (v.getSizeBytes() <= 0) {
                throw RequestException.invalid("size_bytes must be positive");
            }
            int bypass = switch (v.getBypassBytes()) {
                case 0 -> VolumeConfig.DEFAULT_BYPASS_BYTES;
                case -1 -> 0;
                default -> {
                    if (v.getBypassBytes() < 0) {
                        throw RequestException.invalid("bypass_bytes is -1 (never), 0 (default) or positive");
                    }
                    yield v.getBypassBytes();
                }
            };
            int pageSize = v.getPageSize() == 0 ? VolumeConfig.DEFAULT_PAGE_SIZE : v.getPageSize();
            VolumeCatalog.NewVolume spec = new VolumeCatalog.NewVolume(r.getVolumeId(), v.getSizeBytes(),
                    v.getReadOnly(), ProtoEnums.io(v.getIoMode()), ProtoEnums.policy(v.getLockPolicy()), pageSize, bypass);
            return resource(catalog.create(spec));
        });
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            requireAdmin("DeleteVolume");
            String id = ResourceNames.volumeId(r.getName());
            if (r.getForce()) {
                handles.closeAll(id);
            }
            catalog.delete(id, r.getForce());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void getVolume(GetVolumeRequest r, StreamObserver<Volume> out) {
        Calls.unary(out, () -> resource(entry(ResourceNames.volumeId(r.getName()))));
    }

    @Override
    public void listVolumes(ListVolumesRequest r, StreamObserver<ListVolumesResponse> out) {
        Calls.unary(out, () -> {
            if (r.getPageSize() < 0) {
                throw RequestException.invalid("page_size must not be negative");
            }
            List<VolumeCatalog.Entry> all = catalog.list().stream()
                    .sorted((a, b) -> a.volume().name().compareTo(b.volume().name())).toList();
            ListVolumesResponse.Builder b = ListVolumesResponse.newBuilder();
            String after = r.getPageToken();
            int limit = r.getPageSize() == 0 ? Integer.MAX_VALUE : r.getPageSize();
            Caller caller = Caller.current();
            for (VolumeCatalog.Entry e : all) {
                if (!security.mayOpen(caller, e.volume().name())) {
                    continue;   // not listed to a caller it is not allowed to
                }
                if (!after.isEmpty() && e.volume().name().compareTo(after) <= 0) {
                    continue;
                }
                if (b.getVolumesCount() == limit) {
                    b.setNextPageToken(b.getVolumes(limit - 1).getName().substring(ResourceNames.VOLUMES.length()));
                    break;
                }
                b.addVolumes(resource(e));
            }
            return b.build();
        });
    }

    @Override
    public void resizeVolume(ResizeVolumeRequest r, StreamObserver<Volume> out) {
        Calls.unary(out, () -> {
            requireAdmin("ResizeVolume");
            String id = visible(ResourceNames.volumeId(r.getName()));
            return resource(catalog.resize(id, r.getSizeBytes()));
        });
    }

    @Override
    public void getLockStats(GetLockStatsRequest r, StreamObserver<LockStats> out) {
        Calls.unary(out, () -> {
            String id = ResourceNames.volumeId(r.getName());
            io.blockhaus.engine.Volume v = entry(id).volume();
            LockStatsRecorder rec = catalog.lockStats(id).orElseThrow(() ->
                    new ErrnoException(Errno.ENOTSUP, "lock statistics are not recorded for " + r.getName()));
            PagecacheLock lock = v.lock();
            LockStats.Builder b = LockStats.newBuilder().setVolume(r.getName()).setPolicy(ProtoEnums.policy(lock.policy()));
            for (LockMode mode : LockMode.values()) {
                LockStatsRecorder.ModeSnapshot s = rec.snapshot(mode);
                b.addModes(ModeStats.newBuilder()
                        .setMode(mode == LockMode.ADD ? ModeStats.Mode.ADD : ModeStats.Mode.BLOCK)
                        .setHolders(lock.holders(mode)).setWaiters(lock.waiters(mode))
                        .setAcquisitions(s.acquisitions()).setContendedAcquisitions(s.contended())
                        .setTimeouts(s.timeouts()).setDeadlocks(s.deadlocks()).setInterrupts(s.interrupts())
                        .setWaitP50Nanos(s.waitP50()).setWaitP99Nanos(s.waitP99()).setWaitMaxNanos(s.waitMax())
                        .setHoldP50Nanos(s.holdP50()).setHoldP99Nanos(s.holdP99()).setHoldMaxNanos(s.holdMax())
                        .addAllWaitBuckets(s.waitBuckets()));
            }
            return b.build();
        });
    }

    private VolumeCatalog.Entry entry(String id) {
        visible(id);
        return catalog.list().stream().filter(e -> e.volume().name().equals(id)).findFirst()
                .orElseThrow(() -> RequestException.notFound("no volume " + UntrustedText.quote(ResourceNames.volume(id))));
    }

    /** {@code id}, or NOT_FOUND worded as for a missing volume if the caller may not open it. */
    private String visible(String id) {
        if (!security.mayOpen(Caller.current(), id)) {
            refusals.tally(RefusalReason.ACCESS);
            throw RequestException.notFound("no volume " + UntrustedText.quote(ResourceNames.volume(id)));
        }
        return id;
    }

    private static Volume resource(VolumeCatalog.Entry e) {
        io.blockhaus.engine.Volume v = e.volume();
        VolumeConfig c = v.config();
        return Volume.newBuilder().setName(ResourceNames.volume(v.name())).setSizeBytes(v.size())
                .setReadOnly(c.readOnly()).setIoMode(ProtoEnums.io(c.io())).setLockPolicy(ProtoEnums.policy(c.lockPolicy()))
                .setPageSize(c.pageSize()).setBypassBytes(c.bypassBytes() == 0 ? -1 : c.bypassBytes())
                .setOrigin(e.createdByApi() ? Volume.Origin.API : Volume.Origin.COMMAND_LINE)
                .setOpenHandles(v.openHandles()).build();
    }
}
