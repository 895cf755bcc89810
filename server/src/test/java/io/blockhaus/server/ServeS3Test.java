package io.blockhaus.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} with s3 exports built from fake parts (a bucket in memory): what start-up says, a
 * volume another server owns served read-only, and the order things close in at shutdown.
 */
class ServeS3Test {

    @TempDir
    Path data;

    @Test
    void servesS3AndFileVolumesSideBySideAndClosesEachS3PartAfterWhatUsesIt() throws Exception {
        FakeS3Parts parts = new FakeS3Parts(true);
        parts.existing("team/theirs/", 2 << 20);
        parts.ownedElsewhere.add("team/theirs/");
        InProcessServe s = InProcessServe.start(data, new FileStoreFactory(), parts,
                "--s3-endpoint", "http://127.0.0.1:9", "--s3-path-style",
                "--export", "name=mine,store=s3,bucket=vols,prefix=team/,size=1M",
                "--export", "name=theirs,store=s3,bucket=vols,prefix=team/",
                "--export", "name=local,size=1M");
        try {
            String log = startUpLog(s);
            assertThat(log).contains("blockhaus: s3://vols/team/ at http://127.0.0.1:9, path-style refuses a second create-only write")
                    .contains("volume mine: 1M (1048576 bytes), s3://vols/team/mine/, read-write")
                    .contains("volume theirs: 2M (2097152 bytes), s3://vols/team/theirs/, read-only")
                    .contains("s3 volume theirs: s3://vols/team/theirs/, 2M, objects of 4M, read-only: another server owns it")
                    .contains("volume local: 1M (1048576 bytes), file " + data.toAbsolutePath().resolve("local.img"));
            assertThat(nbdReadOnly(s.nbdPort(), "theirs")).isIn("true", "unknown");
            assertThat(nbdReadOnly(s.nbdPort(), "mine")).isIn("false", "unknown");
        } finally {
            s.close();
        }
        assertThat(parts.connected).as("one object store for the bucket").hasSize(1);
        // Each volume forces (flushes) and closes its striped store; only then is any ownership
        // released, and only after every release the object store closes.
        int lastStripeClose = Math.max(parts.events.indexOf("stripe close team/mine/"), parts.events.indexOf("stripe close team/theirs/"));
        assertThat(parts.events.indexOf("stripe force team/mine/")).isBetween(0, parts.events.indexOf("stripe close team/mine/"));
        assertThat(parts.events).as("a read-only volume has nothing to force").doesNotContain("stripe force team/theirs/");
        assertThat(parts.events.subList(lastStripeClose + 1, parts.events.size()))
                .containsExactly("release team/theirs/", "release team/mine/", "objects close vols");
    }

    /** Everything serve prints up to its "running" line (printed once every volume line is out). */
    static String startUpLog(InProcessServe s) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!s.log().contains("blockhaus: running as pid")) {
            assertThat(System.nanoTime()).as("serve's running line within 30 s:\n%s", s.log()).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // polling interval of a bounded wait
        }
        return s.log();
    }

    /** nbdinfo's is_read_only for the export, or "unknown" when nbdinfo is not installed. */
    private static String nbdReadOnly(int port, String export) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/nbdinfo"))) {
            System.out.println("nbdinfo not installed (apt-get install libnbd-bin): NBD read-only flag not checked");
            return "unknown";
        }
        Process p = new ProcessBuilder("nbdinfo", "--json", "nbd://127.0.0.1:" + port + "/" + export)
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(json).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"is_read_only\": (true|false)").matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return m.group(1);
    }
}
