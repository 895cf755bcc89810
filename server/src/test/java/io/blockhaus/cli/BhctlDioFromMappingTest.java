package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * dio-from-mapping shows DESIGN.md rule 2: under two-state a direct I/O whose buffer maps the same
 * volume is refused with EDEADLOCK and the library falls back (the bytes still move), or fails
 * with --no-fallback; under range a disjoint range goes through, and the word EDEADLOCK then does
 * not appear at all.
 */
class BhctlDioFromMappingTest extends ServedBhctlTest {


    @Override
    String[] serveOptions() {
        return new String[] {"--export", "name=two,size=4M", "--export", "name=rng,size=4M,lock=range", "--export",
            "name=other,size=4M"};
    }

    private byte[] pattern(long seed) {
        System.out.println("pattern seed " + seed);
        byte[] b = new byte[8192];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private BhctlRunner.Result run(int exit, String... args) {
        BhctlRunner.Result r = bhctl.run(args);
        assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
        return r;
    }

    private void put(String volume, String offset, byte[] bytes) {
        assertThat(bhctl.runWithInput(bytes, "write", volume, offset).exit()).isZero();
    }

    @Test
    void sameVolumeUnderTwoStateIsEdeadlockAndTheLibraryFallsBack() {
        byte[] p = pattern(11);
        put("two", "1M", p);
        BhctlRunner.Result r = run(0, "dio-from-mapping", "two", "0", "8K", "--source", "two:1M");
        assertThat(TextOutput.fields(r.out())).containsEntry("operation", "direct write").containsEntry("server", "EDEADLOCK")
                .containsEntry("fallback", "buffered write by the library").containsEntry("bytes_moved", "8192");
        assertThat(run(0, "read", "two", "0", "8K").stdout()).isEqualTo(p);

        byte[] q = pattern(12);
        put("two", "2M", q);
        r = run(0, "dio-from-mapping", "two", "2M", "8K", "--source", "two:1M", "--read");
        assertThat(TextOutput.fields(r.out())).containsEntry("operation", "direct read").containsEntry("server", "EDEADLOCK")
                .containsEntry("fallback", "buffered read by the library").containsEntry("bytes_moved", "8192");
        assertThat(run(0, "read", "two", "1M", "8K").stdout()).isEqualTo(q);
    }

    @Test
    void withoutFallbackEdeadlockMovesNothingAndExitsOne() {
        byte[] before = run(0, "read", "two", "3M", "8K").stdout();
        byte[] p = pattern(13);
        put("two", "1M", p);
        BhctlRunner.Result r = run(1, "dio-from-mapping", "two", "3M", "8K", "--source", "two:1M", "--no-fallback");
        assertThat(TextOutput.fields(r.out())).containsEntry("server", "EDEADLOCK")
                .containsEntry("fallback", "none (--no-fallback)").containsEntry("bytes_moved", "0");
        assertThat(r.stderr()).startsWith("bhctl dio-from-mapping: EDEADLOCK: ");
        assertThat(run(0, "read", "two", "3M", "8K").stdout()).isEqualTo(before);
    }

    @Test
    void aDisjointRangeUnderRangeGoesThroughWithoutTheWord() {
        byte[] p = pattern(14);
        put("rng", "1M", p);
        BhctlRunner.Result r = run(0, "dio-from-mapping", "rng", "0", "8K", "--source", "rng:1M");
        Map<String, String> f = TextOutput.fields(r.out());
        assertThat(f).containsEntry("server", "ok").containsEntry("fallback", "none").containsEntry("bytes_moved", "8192");
        assertThat(r.out() + r.stderr()).doesNotContain("EDEADLOCK");
        assertThat(run(0, "read", "rng", "0", "8K").stdout()).isEqualTo(p);
        // and in JSON the same: the word only when the server said it
        assertThat(run(0, "dio-from-mapping", "rng", "0", "8K", "--source", "rng:1M", "-o", "json").out())
                .doesNotContain("EDEADLOCK").contains("\"server\": \"ok\"");
    }

    @Test
    void anotherVolumesMappingUnderTwoStateGoesThrough() {
        byte[] p = pattern(15);
        put("other", "0", p);
        BhctlRunner.Result r = run(0, "dio-from-mapping", "two", "3M", "8K", "--source", "other:0");
        assertThat(TextOutput.fields(r.out())).containsEntry("server", "ok").containsEntry("bytes_moved", "8192");
        assertThat(r.out() + r.stderr()).doesNotContain("EDEADLOCK");
        assertThat(run(0, "read", "two", "3M", "8K").stdout()).isEqualTo(p);
    }
}
