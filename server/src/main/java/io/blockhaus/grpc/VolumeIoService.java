package io.blockhaus.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.blockhaus.engine.Advice;
import io.blockhaus.engine.FallocateMode;
import io.blockhaus.engine.Mapping;
import io.blockhaus.engine.Volume;
import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.limits.RefusalReason;
import io.blockhaus.limits.Refusals;
import io.blockhaus.limits.UntrustedText;
import io.blockhaus.proto.v1.AckInvalidationsRequest;
import io.blockhaus.proto.v1.BlockStatusRequest;
import io.blockhaus.proto.v1.BlockStatusResponse;
import io.blockhaus.proto.v1.CloseHandleRequest;
import io.blockhaus.proto.v1.Extent;
import io.blockhaus.proto.v1.FadviseRequest;
import io.blockhaus.proto.v1.FallocateRequest;
import io.blockhaus.proto.v1.FaultRequest;
import io.blockhaus.proto.v1.FaultResponse;
import io.blockhaus.proto.v1.FlushRequest;
import io.blockhaus.proto.v1.Handle;
import io.blockhaus.proto.v1.Invalidation;
import io.blockhaus.proto.v1.MapRequest;
import io.blockhaus.proto.v1.OpenHandleRequest;
import io.blockhaus.proto.v1.PageData;
import io.blockhaus.proto.v1.ReadRequest;
import io.blockhaus.proto.v1.ReadResponse;
import io.blockhaus.proto.v1.StatRequest;
import io.blockhaus.proto.v1.TruncateRequest;
import io.blockhaus.proto.v1.UnmapRequest;
import io.blockhaus.proto.v1.VolumeIoGrpc;
import io.blockhaus.proto.v1.VolumeStat;
import io.blockhaus.proto.v1.WatchRequest;
import io.blockhaus.proto.v1.WriteRequest;
import io.blockhaus.proto.v1.WriteResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

/**
 * The data plane: each RPC is the one engine operation of DESIGN.md's table that NBD's commands
 * also call (buffered or direct read and write, fallocate, fadvise, truncate, flush, block
 * status), plus what only gRPC offers: mappings, their faults, and the Watch stream of their
 * invalidations. Validation beyond names is the engine's, so both front ends refuse the same
 * input with the same errno.
 */
final class VolumeIoService extends VolumeIoGrpc.VolumeIoImplBase {
    private static final int DEFAULT_MAX_EXTENTS = 1024;

    private final VolumeCatalog catalog;
    private final HandleTable handles;
    private final Executor notifier;

    private final GrpcSecurity security;
    private final Refusals refusals;
    /** Where a Read goes on after waiting for the payload budget: the worker pool. */
    private final Executor workers;

    VolumeIoService(VolumeCatalog catalog, HandleTable handles, Executor notifier, GrpcSecurity security,
            Refusals refusals, Executor workers) {
        this.workers = workers;
        this.catalog = catalog;
        this.handles = handles;
        this.notifier = notifier;
        this.security = security;
        this.refusals = refusals;
    }

    @Override
    public void openHandle(OpenHandleRequest r, StreamObserver<Handle> out) {
        Calls.unary(out, () -> {
            String id = ResourceNames.volumeId(r.getVolume());
            Caller caller = Caller.current();
            if (!security.mayOpen(caller, id)) {
                refusals.tally(RefusalReason.ACCESS);
                // Worded as for a missing volume: a refused caller learns nothing about it.
                System.getLogger(VolumeIoService.class.getName()).log(System.Logger.Level.INFO,
                        () -> "OpenHandle of " + id + " refused to " + caller.identity().describe());
                throw RequestException.notFound("no volume " + UntrustedText.quote(r.getVolume()));
            }
            Volume v = catalog.find(id)
                    .orElseThrow(() -> RequestException.notFound("no volume " + UntrustedText.quote(r.getVolume())));
            OpenHandle h = handles.open(id, v.open(), Leases.currentClient());
            return Handle.newBuilder().setName(h.name()).setSizeBytes(v.size()).setPageSize(v.pageSize())
                    .setReadOnly(v.readOnly()).build();
        });
    }

    @Override
    public void closeHandle(CloseHandleRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            handles.close(r.getHandle());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void read(ReadRequest r, StreamObserver<ReadResponse> out) {
        ServerCallStreamObserver<ReadResponse> call = (ServerCallStreamObserver<ReadResponse>) out;
        try {
            io.blockhaus.engine.Handle h = handles.get(r.getHandle()).engine();
            boolean direct = Transfers.direct(r.getMode(), h);
            if (r.hasIntoMapping()) {
                if (!direct) {
                    throw new ErrnoException(Errno.EINVAL, "a mapping is a buffer for DIRECT reads only");
                }
                GrpcCallBudget.run(() -> h.readDirect(r.getOffset(),
                        Transfers.buffer(handles, r.getIntoMapping(), r.getLength())));
                call.onNext(ReadResponse.newBuilder().setOffset(r.getOffset()).build());
                call.onCompleted();
                return;
            }
            Transfers.checkRange(h, r.getOffset(), r.getLength(), false);
            ReadStreamer.start(call, h, r.getOffset(), r.getLength(), direct, RequestFlow.account(), workers);
        } catch (RuntimeException e) {
            Calls.fail(out, e);
        }
    }

    @Override
    public StreamObserver<WriteRequest> write(StreamObserver<WriteResponse> out) {
        return new WriteReceiver(handles, out);
    }

    @Override
    public void map(MapRequest r, StreamObserver<io.blockhaus.proto.v1.Mapping> out) {
        Calls.unary(out, () -> {
            OpenHandle h = handles.get(r.getHandle());
            String name = h.map(r.getOffset(), r.getLength(), r.getWritable());
            Volume v = h.engine().volume();
            return io.blockhaus.proto.v1.Mapping.newBuilder().setName(name).setOffset(r.getOffset())
                    .setLength(r.getLength()).setWritable(r.getWritable())
                    .setFaultAroundPages(v.config().faultAroundPages()).setPageSize(v.pageSize()).build();
        });
    }

    @Override
    public void unmap(UnmapRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            handles.get(ResourceNames.handleOfMapping(r.getMapping())).unmap(r.getMapping());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void fault(FaultRequest r, StreamObserver<FaultResponse> out) {
        Calls.unary(out, () -> {
            Mapping m = handles.mapping(r.getMapping());
            if (r.getWrite()) {
                ByteString data = r.getData();
                if (data.isEmpty() || data.size() > m.volume().pageSize()) {
                    throw new ErrnoException(Errno.EINVAL, "a write fault stores 1 to page-size bytes; got " + data.size());
                }
                m.write(r.getOffset(), data.asReadOnlyByteBuffer());
                return FaultResponse.getDefaultInstance();
            }
            return readFault(m, r.getOffset());
        });
    }

    /**
     * The faulting page and the rest of its aligned fault-around window inside the mapping and
     * the volume: every page answered is recorded as mapped, so its invalidation reaches Watch.
     */
    private static FaultResponse readFault(Mapping m, long offset) {
        Volume v = m.volume();
        long page = v.pageSize();
        if (offset < 0 || offset >= m.length()) {
            throw new ErrnoException(Errno.EFAULT, "fault at " + offset + " outside the mapping of " + m.length() + " bytes");
        }
        long window = page * v.config().faultAroundPages();
        long volStart = Math.floorDiv(m.offset() + offset, window) * window;
        long first = Math.max(volStart, m.offset()) - m.offset();
        long end = Math.min(Math.min(volStart + window, m.offset() + m.length()), v.size()) - m.offset();
        long faulting = Math.floorDiv(offset, page) * page;
        if (faulting + m.offset() >= v.size()) {
            throw new ErrnoException(Errno.EFAULT, "fault at " + offset + " past the end of volume " + v.name());
        }
        FaultResponse.Builder b = FaultResponse.newBuilder();
        for (long at = first; at < end; at += page) {
            int n = (int) Math.min(page, end - at);
            ByteBuffer buf = ByteBuffer.allocate(n);
            m.read(at, buf);
            b.addPages(PageData.newBuilder().setOffset(at).setData(ByteString.copyFrom(buf.array())));
        }
        return b.build();
    }

    @Override
    public void watch(WatchRequest r, StreamObserver<Invalidation> out) {
        try {
            handles.get(r.getHandle()).watch((ServerCallStreamObserver<Invalidation>) out, notifier);
        } catch (RuntimeException e) {
            Calls.fail(out, e);
        }
    }

    @Override
    public void ackInvalidations(AckInvalidationsRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            handles.get(r.getHandle()).ack(r.getSequence());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void fallocate(FallocateRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            FallocateMode mode = switch (r.getMode()) {
                case PUNCH_HOLE -> FallocateMode.PUNCH_HOLE;
                case ZERO_RANGE -> FallocateMode.ZERO_RANGE;
                case ALLOCATE -> FallocateMode.ALLOCATE;
                case COLLAPSE_RANGE -> FallocateMode.COLLAPSE_RANGE;
                case INSERT_RANGE -> FallocateMode.INSERT_RANGE;
                case MODE_UNSPECIFIED, UNRECOGNIZED -> throw new ErrnoException(Errno.EINVAL, "fallocate needs a mode");
            };
            io.blockhaus.engine.Handle h = handles.get(r.getHandle()).engine();
            h.fallocate(mode, r.getOffset(), r.getLength());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void fadvise(FadviseRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            Advice advice = switch (r.getAdvice()) {
                case NORMAL -> Advice.NORMAL;
                case SEQUENTIAL -> Advice.SEQUENTIAL;
                case RANDOM -> Advice.RANDOM;
                case WILLNEED -> Advice.WILLNEED;
                case DONTNEED -> Advice.DONTNEED;
                case NOREUSE -> Advice.NOREUSE;
                case ADVICE_UNSPECIFIED, UNRECOGNIZED -> throw new ErrnoException(Errno.EINVAL, "fadvise needs an advice");
            };
            handles.get(r.getHandle()).engine().fadvise(advice, r.getOffset(), r.getLength());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void truncate(TruncateRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            io.blockhaus.engine.Handle h = handles.get(r.getHandle()).engine();
            h.truncate(r.getSizeBytes());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void flush(FlushRequest r, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            io.blockhaus.engine.Handle h = handles.get(r.getHandle()).engine();
            if (r.hasRange()) {
                h.flush(r.getRange().getOffset(), r.getRange().getLength());
            } else {
                h.flush();
            }
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void blockStatus(BlockStatusRequest r, StreamObserver<BlockStatusResponse> out) {
        Calls.unary(out, () -> {
            int max = r.getMaxExtents() <= 0 ? DEFAULT_MAX_EXTENTS : Math.min(r.getMaxExtents(), DEFAULT_MAX_EXTENTS);
            BlockStatusResponse.Builder b = BlockStatusResponse.newBuilder();
            for (io.blockhaus.engine.Allocation e : handles.get(r.getHandle()).engine()
                    .blockStatus(r.getOffset(), r.getLength(), max)) {
                b.addExtents(Extent.newBuilder().setOffset(e.offset()).setLength(e.length()).setHole(e.hole())
                        .setZero(e.zero()));
            }
            return b.build();
        });
    }

    @Override
    public void stat(StatRequest r, StreamObserver<VolumeStat> out) {
        Calls.unary(out, () -> {
            Volume v = handles.get(r.getHandle()).engine().volume();
            return VolumeStat.newBuilder().setVolume(ResourceNames.volume(v.name())).setSizeBytes(v.size())
                    .setPageSize(v.pageSize()).setReadOnly(v.readOnly()).setIoMode(ProtoEnums.io(v.config().io()))
                    .setLockPolicy(ProtoEnums.policy(v.config().lockPolicy())).setCachedPages(v.cachedPages())
                    .setDirtyPages(v.dirtyPages()).build();
        });
    }
}
