package io.blockhaus.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.BlockhausException;
import io.blockhaus.client.MappedRegion;
import io.blockhaus.client.Types;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.engine.VolumeConfig;
import io.blockhaus.engine.lock.LockPolicy;
import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.ModeStats;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every data-plane RPC through the client library and an in-process server, errors included. */
class GrpcServiceTest {
    private static final long SIZE = 8 << 20;
    private GrpcFixture f;

    private void start(VolumeConfig... configs) {
        f = new GrpcFixture(SIZE, configs);
    }

    @AfterEach
    void tearDown() {
        if (f != null) {
            f.close();
        }
    }


    @Test
    void bufferedAndDirectWritesOfSeveralChunksReadBackInEveryMode() {
        start(VolumeConfig.of("v"));
        BlockhausClient c = f.client(true);
        try (VolumeHandle h = c.open("v")) {
            byte[] big = TestBytes.random(1, 3 * (1 << 20) + 12345); // four chunks, the last one short
            h.write(100, ByteBuffer.wrap(big), false);
            assertThat(TestBytes.of(h.read(100, big.length))).isEqualTo(big);
            assertThat(TestBytes.of(h.readDirect(100, big.length))).isEqualTo(big); // direct read writes dirty pages back first
            byte[] d = TestBytes.random(2, 70_000);
            h.writeDirect(4096, ByteBuffer.wrap(d), true);
            assertThat(TestBytes.of(h.read(4096, d.length))).isEqualTo(d); // the cached pages were invalidated
            h.write(0, ByteBuffer.wrap(new byte[] {7}), true);
            assertThat(h.stat().dirtyPages()).isZero(); // FUA wrote the page back
            assertThat(h.read(0, 0).remaining()).isZero();
        }
    }

    @Test
    void badInputIsRefusedWithTheErrnoAndChangesNothing() {
        start(VolumeConfig.of("v"), VolumeConfig.of("ro").withReadOnly(true));
        BlockhausClient c = f.client(true);
        assertThatThrownBy(() -> c.open("nope")).isInstanceOfSatisfying(BlockhausException.NotFound.class,
                e -> assertThat(e.errno()).isEqualTo("ENOENT"));
        assertThatThrownBy(() -> c.open("volumes/a/b")).isInstanceOfSatisfying(BlockhausException.InvalidArgument.class,
                e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        try (VolumeHandle h = c.open("v"); VolumeHandle ro = c.open("ro")) {
            assertThatThrownBy(() -> h.read(SIZE - 10, 20)).isInstanceOfSatisfying(BlockhausException.InvalidArgument.class,
                    e -> assertThat(e.errno()).isEqualTo("EINVAL"));
            assertThatThrownBy(() -> h.write(SIZE - 10, ByteBuffer.allocate(20), false))
                    .isInstanceOfSatisfying(BlockhausException.NoSpace.class, e -> assertThat(e.errno()).isEqualTo("ENOSPC"));
            assertThatThrownBy(() -> ro.write(0, ByteBuffer.allocate(1), false))
                    .isInstanceOfSatisfying(BlockhausException.NotPermitted.class, e -> {
                        assertThat(e.errno()).isEqualTo("EROFS");
                        assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    });
            assertThatThrownBy(() -> h.fallocate(Types.FallocateMode.COLLAPSE_RANGE, 1, 4096))
                    .isInstanceOfSatisfying(BlockhausException.InvalidArgument.class, e -> assertThat(e.errno()).isEqualTo("EINVAL"));
            assertThat(TestBytes.of(h.read(SIZE - 4096, 4096))).containsOnly(0);
        }
        VolumeHandle closed = c.open("v");
        closed.close();
        assertThatThrownBy(closed::stat).isInstanceOfSatisfying(BlockhausException.NotFound.class,
                e -> assertThat(e.errno()).isEqualTo("ENOENT"));
    }

    @Test
    void punchZeroTruncateFlushFadviseAndBlockStatus() {
        start(VolumeConfig.of("v"));
        try (VolumeHandle h = f.client(true).open("v")) {
            h.write(0, ByteBuffer.wrap(TestBytes.random(3, 64 << 10)), false);
            h.flush();
            h.fallocate(Types.FallocateMode.PUNCH_HOLE, 8192, 16384);
            assertThat(TestBytes.of(h.read(8192, 16384))).containsOnly(0);
            List<Types.Extent> ext = h.blockStatus(0, 64 << 10);
            assertThat(ext).anySatisfy(e -> {
                assertThat(e.offset()).isEqualTo(8192);
                assertThat(e.zero()).isTrue();
            });
            h.fallocate(Types.FallocateMode.ZERO_RANGE, 0, 100);
            assertThat(TestBytes.of(h.read(0, 100))).containsOnly(0);
            h.fadvise(Types.Advice.WILLNEED, 1 << 20, 1 << 20);
            h.fadvise(Types.Advice.DONTNEED, 0, 0);
            h.fadvise(Types.Advice.SEQUENTIAL, 0, 0);
            h.write(1 << 20, ByteBuffer.wrap(new byte[] {1, 2, 3}), false);
            h.flush(1 << 20, 3);
            assertThat(h.stat().dirtyPages()).isZero();
            h.setSize(SIZE / 2);
            assertThat(h.stat().sizeBytes()).isEqualTo(SIZE / 2);
            assertThatThrownBy(() -> h.read(SIZE / 2, 1)).isInstanceOf(BlockhausException.InvalidArgument.class);
            h.setSize(SIZE);
            assertThat(TestBytes.of(h.read(SIZE / 2, 4096))).containsOnly(0);
        }
    }

    @Test
    void mappedRegionLoadsStoresAndDropsPagesOnInvalidation() throws Exception {
        start(VolumeConfig.of("v"));
        BlockhausClient c = f.client(true);
        try (VolumeHandle h = c.open("v"); VolumeHandle other = c.open("v")) {
            h.write(0, ByteBuffer.wrap(TestBytes.random(4, 1 << 16)), false);
            MappedRegion m = h.map(0, 1 << 16, true);
            ByteBuffer got = ByteBuffer.allocate(100);
            m.get(4000, got); // crosses a page boundary
            assertThat(got.array()).isEqualTo(java.util.Arrays.copyOfRange(TestBytes.random(4, 1 << 16), 4000, 4100));
            assertThat(m.cachedPages()).isEqualTo(16); // the fault-around window came with it
            m.put(10, ByteBuffer.wrap(new byte[] {9, 9, 9}));
            assertThat(TestBytes.of(other.read(10, 3))).containsExactly(9, 9, 9); // write-through
            assertThat(m.cachedPages()).isEqualTo(15); // a store drops its page's local copy
            m.get(0, ByteBuffer.allocate(1)); // faults the window in again
            assertThat(m.cachedPages()).isEqualTo(16);
            other.writeDirect(4096, ByteBuffer.wrap(new byte[4096]), false);
            // The invalidation comes on the Watch stream, from another thread: a bounded wait for it.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (m.cachedPages() == 16) {
                assertThat(System.nanoTime()).as("invalidation not received").isLessThan(deadline);
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
            assertThat(m.cachedPages()).isEqualTo(15); // only page 1 was shot down
            ByteBuffer page1 = ByteBuffer.allocate(4096);
            m.get(4096, page1);
            assertThat(page1.array()).containsOnly(0);
            m.close();
            assertThatThrownBy(() -> m.get(0, ByteBuffer.allocate(1))).isInstanceOf(BlockhausException.NotFound.class);
        }
    }

    @Test
    void directIoIntoAMappingOfTheSameVolumeIsEdeadlockUnderTwoStateAndTheLibraryFallsBack() {
        start(VolumeConfig.of("v"), VolumeConfig.of("w"));
        BlockhausClient strict = f.client(false);
        try (VolumeHandle h = strict.open("v"); VolumeHandle w = strict.open("w")) {
            h.write(1 << 20, ByteBuffer.wrap(TestBytes.random(5, 8192)), false);
            MappedRegion buf = h.map(0, 8192, true);
            assertThatThrownBy(() -> h.readDirect(1 << 20, buf, 0, 8192))
                    .isInstanceOfSatisfying(BlockhausException.Deadlock.class, e -> {
                        assertThat(e.errno()).isEqualTo("EDEADLOCK");
                        assertThat(e.code()).isEqualTo(Status.Code.ABORTED);
                    });
            ByteBuffer untouched = ByteBuffer.allocate(8192);
            buf.get(0, untouched);
            assertThat(untouched.array()).containsOnly(0); // nothing half-done
            // Another volume's mapping is served.
            MappedRegion wbuf = w.map(0, 8192, true);
            h.readDirect(1 << 20, wbuf, 0, 8192);
            ByteBuffer copied = ByteBuffer.allocate(8192);
            wbuf.get(0, copied);
            assertThat(copied.array()).isEqualTo(TestBytes.random(5, 8192));
        }
        BlockhausClient lenient = f.client(true);
        try (VolumeHandle h = lenient.open("v")) {
            MappedRegion buf = h.map(0, 8192, true);
            h.readDirect(1 << 20, buf, 0, 8192);
            ByteBuffer got = ByteBuffer.allocate(8192);
            buf.get(0, got);
            assertThat(got.array()).isEqualTo(TestBytes.random(5, 8192));
            h.writeDirect(2 << 20, buf, 0, 8192, true);
            assertThat(TestBytes.of(h.read(2 << 20, 8192))).isEqualTo(TestBytes.random(5, 8192));
            assertThat(lenient.deadlockFallbacks()).isEqualTo(2);
        }
        LockStats stats = strict.lockStats("v");
        assertThat(stats.getModesList()).anySatisfy(m -> {
            assertThat(m.getMode()).isEqualTo(ModeStats.Mode.BLOCK);
            assertThat(m.getDeadlocks()).isEqualTo(3);
            assertThat(m.getAcquisitions()).isPositive();
        });
    }

    @Test
    void underTheRangePolicyOnlyAnOverlapWithTheFaultAroundWindowIsEdeadlock() {
        start(VolumeConfig.of("r").withLockPolicy(LockPolicy.RANGE));
        BlockhausClient strict = f.client(false);
        try (VolumeHandle h = strict.open("r")) {
            MappedRegion buf = h.map(0, 8192, true); // fault-around window: pages 0-15 (64 KiB)
            h.write(1 << 20, ByteBuffer.wrap(TestBytes.random(6, 8192)), false);
            h.readDirect(1 << 20, buf, 0, 8192); // far away: served
            assertThatThrownBy(() -> h.readDirect(32768, buf, 0, 4096)) // inside the window
                    .isInstanceOf(BlockhausException.Deadlock.class);
            assertThat(strict.deadlockFallbacks()).isZero();
        }
    }

    @Test
    void healthSaysServingAndAdminListsAndResizes() {
        start(VolumeConfig.of("a"), VolumeConfig.of("b"));
        HealthCheckResponse health = HealthGrpc.newBlockingStub(f.channel).check(HealthCheckRequest.newBuilder()
                .setService("blockhaus.v1.VolumeIo").build());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        BlockhausClient c = f.client(true);
        try (VolumeHandle h = c.open("a")) {
            assertThat(c.listVolumes()).extracting(Types.VolumeInfo::name, Types.VolumeInfo::openHandles)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 1), org.assertj.core.groups.Tuple.tuple("b", 0));
            assertThat(c.resizeVolume("a", 4096).sizeBytes()).isEqualTo(4096);
            assertThat(h.stat().sizeBytes()).isEqualTo(4096);
        }
        assertThatThrownBy(() -> c.createVolume("x", 1)).isInstanceOfSatisfying(BlockhausException.class,
                e -> assertThat(e.errno()).isEqualTo("ENOTSUP"));
    }

    @Test
    void aHandleIsASeekableByteChannel() throws Exception {
        start(VolumeConfig.of("v"));
        try (VolumeHandle h = f.client(true).open("v")) {
            java.nio.channels.SeekableByteChannel ch = h;
            ch.position(SIZE - 6);
            assertThat(ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}))).isEqualTo(3);
            assertThat(ch.position()).isEqualTo(SIZE - 3);
            ByteBuffer rest = ByteBuffer.allocate(10);
            assertThat(ch.read(rest)).isEqualTo(3); // only what is left before the end
            assertThat(ch.read(rest)).isEqualTo(-1);
            ch.position(SIZE - 6);
            ByteBuffer three = ByteBuffer.allocate(3);
            assertThat(ch.read(three)).isEqualTo(3);
            assertThat(three.array()).containsExactly(1, 2, 3);
            assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(10))).isInstanceOf(BlockhausException.NoSpace.class);
            ch.truncate(SIZE * 2); // never grows
            assertThat(ch.size()).isEqualTo(SIZE);
            ch.truncate(4096);
            assertThat(ch.size()).isEqualTo(4096);
            assertThat(ch.position()).isEqualTo(4096);
            assertThat(ch.read(ByteBuffer.allocate(1))).isEqualTo(-1);
            ch.close();
            assertThat(ch.isOpen()).isFalse();
            assertThatThrownBy(() -> ch.position(0)).isInstanceOf(java.nio.channels.ClosedChannelException.class);
        }
    }

    @Test
    void listVolumesPagesByNameAndGetVolumeNamesOne() {
        start(VolumeConfig.of("c"), VolumeConfig.of("a").withIo(io.blockhaus.engine.IoMode.DIRECT), VolumeConfig.of("b"));
        var admin = io.blockhaus.proto.v1.VolumeAdminGrpc.newBlockingStub(f.channel);
        var first = admin.listVolumes(io.blockhaus.proto.v1.ListVolumesRequest.newBuilder().setPageSize(2).build());
        assertThat(first.getVolumesList()).extracting(io.blockhaus.proto.v1.Volume::getName)
                .containsExactly("volumes/a", "volumes/b");
        assertThat(first.getNextPageToken()).isEqualTo("b");
        var rest = admin.listVolumes(io.blockhaus.proto.v1.ListVolumesRequest.newBuilder().setPageSize(2)
                .setPageToken(first.getNextPageToken()).build());
        assertThat(rest.getVolumesList()).extracting(io.blockhaus.proto.v1.Volume::getName).containsExactly("volumes/c");
        assertThat(rest.getNextPageToken()).isEmpty();
        var a = admin.getVolume(io.blockhaus.proto.v1.GetVolumeRequest.newBuilder().setName("volumes/a").build());
        assertThat(a.getIoMode()).isEqualTo(io.blockhaus.proto.v1.IoMode.DIRECT);
        assertThat(a.getSizeBytes()).isEqualTo(SIZE);
        assertThat(a.getPageSize()).isEqualTo(4096);
        assertThat(a.getOrigin()).isEqualTo(io.blockhaus.proto.v1.Volume.Origin.COMMAND_LINE);
        assertThatThrownBy(() -> admin.getVolume(io.blockhaus.proto.v1.GetVolumeRequest.newBuilder()
                .setName("volumes/zzz").build())).isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> admin.listVolumes(io.blockhaus.proto.v1.ListVolumesRequest.newBuilder().setPageSize(-1)
                .build())).isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        try (VolumeHandle h = f.client(true).open("a")) {
            Types.VolumeStat st = h.stat();
            assertThat(st.direct()).isTrue();
            assertThat(st.volume()).isEqualTo("volumes/a");
            assertThatThrownBy(() -> h.flush(SIZE, 1)).isInstanceOf(BlockhausException.InvalidArgument.class);
        }
    }
}
