package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.blockhaus.client.BlockhausClient;
import io.blockhaus.client.VolumeHandle;
import io.blockhaus.proto.v1.LockStats;
import io.blockhaus.proto.v1.ModeStats;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code bhctl locks --watch}: the interval figures of each refresh equal the difference of the
 * server's own snapshots around scripted lock activity (a pacer does the activity between two
 * refreshes and a test clock makes the interval exactly 2 s, so the rates are exact); refreshes
 * are appended as plain blocks off a terminal and redrawn with cursor-home/clear on one;
 * {@code --count} stops it; {@code --interval}/{@code --count} without {@code --watch} are usage errors.
 */
class BhctlLocksWatchTest extends ServedBhctlTest {
    private static final int PAGE = 4096;

    private ManagedChannel channel;

    @Override
    String[] serveOptions() {
        return new String[] {"--export", "name=watched,size=1M", "--export", "name=quiet,size=1M"};
    }

    private BlockhausClient client() {
        if (channel == null) {
            channel = NettyChannelBuilder.forTarget(server.grpcTarget()).usePlaintext().build();
        }
        return BlockhausClient.builder(channel).build();
    }

    @AfterAll
    void closeChannel() {
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    /** The refreshes of a text watch's output, each as its table rows keyed by mode. */
    private static List<Map<String, Map<String, String>>> blocks(String out, String volume) {
        List<Map<String, Map<String, String>>> blocks = new ArrayList<>();
        for (String block : out.split("(?=refresh: )")) {
            if (block.isBlank()) {
                continue;
            }
            Map<String, Map<String, String>> byMode = new java.util.TreeMap<>();
            TextOutput.table(block, "volume").stream().filter(r -> r.get("volume").equals(volume))
                    .forEach(r -> byMode.put(r.get("mode"), r));
            blocks.add(byMode);
        }
        return blocks;
    }

    /** The "refresh: N" figures of the blocks of a text watch's output, in order. */
    private static List<String> refreshNumbers(String out) {
        return java.util.Arrays.stream(out.split("(?=refresh: )")).filter(b -> !b.isBlank())
                .map(b -> TextOutput.fields(b).get("refresh")).toList();
    }

    @Test
    void intervalFiguresAreTheDifferenceOfTheServersSnapshots() throws Exception {
        BlockhausClient client = client();
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        LockStats[] around = new LockStats[2];
        int[] step = {0};
        LockWatch.Pacer scripted = interval -> {
            step[0]++;
            if (step[0] == 1) {
                // Between refreshes 1 and 2: 6 direct writes (BLOCK) and 4 buffered ones (ADD).
                around[0] = client.lockStats("watched");
                try (VolumeHandle h = client.open("watched")) {
                    for (int i = 0; i < 6; i++) {
                        h.writeDirect((long) i * PAGE, ByteBuffer.wrap(new byte[PAGE]), false);
                    }
                    for (int i = 0; i < 4; i++) {
                        h.write(64L * PAGE + (long) i * PAGE, ByteBuffer.wrap(new byte[] {7}), false);
                    }
                }
                around[1] = client.lockStats("watched");
                clock.addAndGet(2_000_000_000L);
            } else {
                // Between refreshes 2 and 3: nothing happens on the lock, and 1 s passes.
                clock.addAndGet(1_000_000_000L);
            }
            return true;
        };
        FormatMixin text = new FormatMixin();
        StringWriter out = new StringWriter();
        new LockWatch(client, null, text, false, clock::get).run(new PrintWriter(out), Duration.ofSeconds(1), 3, scripted);

        String printed = out.toString();
        assertThat(printed).doesNotContain("\u001b");
        assertThat(TextOutput.fields(printed.split("(?=refresh: )")[1])).containsEntry("refresh", "2")
                .containsEntry("seconds_since_previous", "2.0");
        List<Map<String, Map<String, String>>> blocks = blocks(printed, "watched");
        assertThat(blocks).hasSize(3);
        assertThat(blocks(printed, "quiet")).hasSize(3).allSatisfy(b -> assertThat(b).containsOnlyKeys("ADD", "BLOCK"));

        // Refresh 1: totals only, equal to the server's figures just before the activity.
        for (String mode : List.of("ADD", "BLOCK")) {
            ModeStats before = LockRates.mode(around[0], ModeStats.Mode.valueOf(mode));
            assertThat(blocks.get(0).get(mode)).containsEntry("acquisitions", Long.toString(before.getAcquisitions()))
                    .containsEntry("new_acquisitions", "-").containsEntry("acquisitions_per_s", "-")
                    .containsEntry("wait_p99_us", "-");
        }
        // Refresh 2: exactly the activity, over exactly 2 s.
        for (String mode : List.of("ADD", "BLOCK")) {
            ModeStats before = LockRates.mode(around[0], ModeStats.Mode.valueOf(mode));
            ModeStats after = LockRates.mode(around[1], ModeStats.Mode.valueOf(mode));
            long grants = after.getAcquisitions() - before.getAcquisitions();
            long contended = after.getContendedAcquisitions() - before.getContendedAcquisitions();
            long p99 = LockRates.quantile(LockRates.difference(after.getWaitBucketsList(), before.getWaitBucketsList()), 0.99);
            Map<String, String> row = blocks.get(1).get(mode);
            assertThat(row).as(mode).containsEntry("acquisitions", Long.toString(after.getAcquisitions()))
                    .containsEntry("new_acquisitions", Long.toString(grants))
                    .containsEntry("acquisitions_per_s", Report.oneDecimal(grants / 2.0).toPlainString())
                    .containsEntry("contended_pct", Report.oneDecimal(100.0 * contended / grants).toPlainString())
                    .containsEntry("wait_p99_us", Report.oneDecimal(p99 / 1000.0).toPlainString())
                    .containsEntry("new_timeouts", "0").containsEntry("new_deadlocks", "0")
                    .containsEntry("holders", "0").containsEntry("waiters", "0");
            assertThat(p99).as(mode + ": every grant's wait is in the interval's histogram").isPositive();
        }
        assertThat(Long.parseLong(blocks.get(1).get("BLOCK").get("new_acquisitions"))).isGreaterThanOrEqualTo(6);
        assertThat(Long.parseLong(blocks.get(1).get("ADD").get("new_acquisitions"))).isGreaterThanOrEqualTo(4);
        // Refresh 3: nothing happened: no grants, no rate, no share, no p99.
        for (String mode : List.of("ADD", "BLOCK")) {
            assertThat(blocks.get(2).get(mode)).containsEntry("new_acquisitions", "0")
                    .containsEntry("acquisitions_per_s", "0.0").containsEntry("contended_pct", "-")
                    .containsEntry("wait_p99_us", "-");
        }
    }

    @Test
    void intervalQuantileAndShareFromHandMadeSnapshots() {
        // Bucket i counts the waits in [2^i, 2^(i+1)) ns; the interval has 100: 98 in bucket 3, 2 in bucket 10.
        ModeStats before = ModeStats.newBuilder().setMode(ModeStats.Mode.ADD).setAcquisitions(10).setContendedAcquisitions(1)
                .addAllWaitBuckets(List.of(5L, 5L)).build();
        ModeStats after = ModeStats.newBuilder().setMode(ModeStats.Mode.ADD).setAcquisitions(110).setContendedAcquisitions(26)
                .setTimeouts(3).setHolders(2).setWaiters(1).addAllWaitBuckets(List.of(5L, 5L, 0L, 98L, 0L, 0L, 0L, 0L, 0L, 0L, 2L))
                .build();
        LockRates r = LockRates.between(before, after, 4.0);
        assertThat(r.acquisitions()).isEqualTo(100);
        assertThat(r.acquisitionsPerSecond()).isEqualTo(25.0);
        assertThat(r.contendedShare()).isEqualTo(0.25);
        assertThat(r.timeouts()).isEqualTo(3);
        assertThat(r.holders()).isEqualTo(2);
        assertThat(r.waiters()).isEqualTo(1);
        // rank 99 of 100 falls in bucket 10 ([1024, 2048) ns): its upper bound
        assertThat(r.waitP99Nanos()).isEqualTo(2047);
        assertThat(LockRates.quantile(LockRates.difference(after.getWaitBucketsList(), before.getWaitBucketsList()), 0.5))
                .isEqualTo(15);
        assertThat(LockRates.between(after, after, 1.0).waitP99Nanos()).isEqualTo(-1);
        assertThat(LockRates.between(after, after, 1.0).contendedShare()).isEqualTo(-1);
    }

    private static String run(boolean terminal, String server, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("--server", server));
        all.addAll(List.of(args));
        int code = Bhctl.run(new Streams(new ByteArrayInputStream(new byte[0]), out, err, terminal), all.toArray(String[]::new));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void offATerminalRefreshesAreAppendedAndCountStopsIt() {
        String out = run(false, server.grpcTarget(), "locks", "watched", "--watch", "--count", "3", "--interval", "10ms");
        assertThat(out).doesNotContain("\u001b");
        assertThat(blocks(out, "watched")).hasSize(3).allSatisfy(b -> assertThat(b).containsOnlyKeys("ADD", "BLOCK"));
        assertThat(refreshNumbers(out)).containsExactly("1", "2", "3");
        assertThat(blocks(out, "quiet")).as("only the volume asked for").hasSize(3).allSatisfy(b -> assertThat(b).isEmpty());
    }

    @Test
    void onATerminalEachRefreshRedrawsTheScreen() {
        String out = run(true, server.grpcTarget(), "locks", "--watch", "--count", "2", "--interval", "10ms");
        assertThat(out).startsWith(LockWatch.CLEAR);
        assertThat(out.split("\u001b\\[H\u001b\\[2J", -1)).hasSize(3);
        assertThat(refreshNumbers(out.split(java.util.regex.Pattern.quote(LockWatch.CLEAR))[2])).containsExactly("2");
    }

    @Test
    void jsonWatchPrintsOneObjectPerRefreshAndNoEscapes() {
        String out = run(true, server.grpcTarget(), "locks", "quiet", "--watch", "--count", "2", "--interval", "10ms", "-o", "json");
        assertThat(out).doesNotContain("\u001b");
        var reader = new com.google.gson.stream.JsonReader(new java.io.StringReader(out));
        reader.setStrictness(com.google.gson.Strictness.LENIENT);
        List<Long> refreshes = new ArrayList<>();
        while (true) {
            try {
                if (reader.peek() == com.google.gson.stream.JsonToken.END_DOCUMENT) {
                    break;
                }
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            var o = com.google.gson.JsonParser.parseReader(reader).getAsJsonObject();
            refreshes.add(o.get("refresh").getAsLong());
            assertThat(o.getAsJsonArray("locks")).hasSize(2);
        }
        assertThat(refreshes).containsExactly(1L, 2L);
    }

    @Test
    void intervalAndCountWithoutWatchAreUsageErrors() {
        BhctlRunner.Result r = bhctl.run("locks", "--count", "2");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.stderr()).contains("--interval and --count go with --watch");
        r = bhctl.run("locks", "--watch", "--interval", "0ms");
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    }
}
