package io.blockhaus.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Counting is exact, logging is rate-limited per reason and says what it left out, quoting is short and inert. */
class RefusalsTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void everyRefusalIsCountedButLoggedAtMostOncePerReasonPerInterval() {
        CapturedLog log = new CapturedLog();
        AtomicLong clock = new AtomicLong();
        Refusals r = new Refusals("nbd", new RateLimitedLog(log, 10 * SECOND, clock::get));
        for (int i = 0; i < 1000; i++) {
            r.refused(RefusalReason.HANDSHAKE_TIMEOUT, "client " + i);
        }
        r.refused(RefusalReason.CONNECTIONS, "another reason");
        assertThat(r.count(RefusalReason.HANDSHAKE_TIMEOUT)).isEqualTo(1000);
        assertThat(r.count(RefusalReason.CONNECTIONS)).isEqualTo(1);
        assertThat(r.count(RefusalReason.IDLE_TIMEOUT)).isZero();
        assertThat(log.lines).containsExactly("nbd: refused (handshake-timeout): client 0",
                "nbd: refused (connections): another reason");

        clock.addAndGet(10 * SECOND);
        r.refused(RefusalReason.HANDSHAKE_TIMEOUT, "client 1000");
        assertThat(log.lines).last().isEqualTo("nbd: refused (handshake-timeout): client 1000"
                + " (999 more refused for handshake-timeout since the last line)");
        r.refused(RefusalReason.HANDSHAKE_TIMEOUT, "client 1001");
        assertThat(log.lines).hasSize(3);
    }

    @Test
    void untrustedTextIsShortenedAndItsControlCharactersEscaped() {
        assertThat(UntrustedText.quote("disk1")).isEqualTo("'disk1'");
        assertThat(UntrustedText.quote("nul\0byte\u001b[2J")).isEqualTo("'nul\\x00byte\\x1b[2J'");
        assertThat(UntrustedText.quote("r\u202eevil")).isEqualTo("'r\\u202eevil'"); // a bidi override
        assertThat(UntrustedText.quote("\u00e4\u00df")).isEqualTo("'\u00e4\u00df'");
        assertThat(UntrustedText.quote("it's")).isEqualTo("'it\\x27s'");
        String quoted = UntrustedText.quote("n".repeat(10 * 1024));
        assertThat(quoted).hasSizeLessThan(100).endsWith("... (10240 characters)");
        assertThat(UntrustedText.quote(null)).isEqualTo("(none)");
    }
}
