package io.blockhaus.s3.ownership;

import io.blockhaus.engine.errno.Errno;
import io.blockhaus.engine.errno.ErrnoException;
import io.blockhaus.s3.objects.MemoryObjectStore;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A shared bucket in simulated time and the servers that open one volume in it. */
final class OwnershipFixture {
    static final String ROOT = "vols/v1/";
    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final long SIZE = 64L << 20;

    final SimulatedTime time = new SimulatedTime();
    final MemoryObjectStore bucket;

    OwnershipFixture(boolean storeHonoursCreateOnly) {
        // 0.4 s into a second, so second truncation of Last-Modified and Date matters.
        bucket = new MemoryObjectStore(storeHonoursCreateOnly, time.store(1.0, Instant.parse("2026-12-05T12:00:00.400Z")));
    }

    /** One server: its own view of the bucket, its own clocks, its own VolumeOwnerships; renewals by hand. */
    record Server(String id, FlakyObjectStore store, SimulatedTime.ServerClock clock, VolumeOwnerships ownerships) {
        OwnedVolume open(OwnershipRequest request) {
            return ownerships.open(store, ROOT, request);
        }

        OwnedVolume open() {
            return open(request(id, OptionalLong.of(SIZE), false, false));
        }
    }

    Server server(String id) {
        SimulatedTime.ServerClock clock = time.server();
        return new Server(id, new FlakyObjectStore(bucket), clock, new VolumeOwnerships(clock, false));
    }

    static OwnershipRequest request(String id, OptionalLong size, boolean readOnly, boolean unfenced) {
        return new OwnershipRequest(id, size, 1 << 22, 4096, readOnly, LEASE, unfenced, TIMEOUT);
    }

    static OwnerLease lease(OwnedVolume v) {
        assertThat(v.ownership()).isInstanceOf(OwnerLease.class);
        return (OwnerLease) v.ownership();
    }

    static ErrnoException expectErrno(Errno errno, Runnable r) {
        ErrnoException e = catchThrowableOfType(ErrnoException.class, r::run);
        assertThat(e).as("expected %s", errno).isNotNull();
        assertThat(e.errno()).as(e.getMessage()).isEqualTo(errno);
        return e;
    }

    List<String> manifestKeys() {
        return bucket.keys().stream().filter(k -> k.startsWith(ROOT + "manifest/")).toList();
    }

    /** Past the point where another server, aging the lease by the store's clock, calls it expired. */
    void advancePastExpiry() {
        time.advance(LEASE.plusSeconds(4));
    }
}
