package io.blockhaus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code -o json} parses (Gson, already on the test classpath) and carries the table's figures;
 * bench runs its mixed load and reports non-zero figures for every kind.
 */
class BhctlJsonAndBenchTest extends ServedBhctlTest {


    @Override
    String[] serveOptions() {
        return new String[] {"--export", "name=j1,size=2M", "--export", "name=j2,size=1M,lock=range", "--export",
            "name=bench,size=32M"};
    }

    private String text(String... args) {
        return ok(args).out();
    }

    private static String cell(JsonElement e) {
        return e.isJsonNull() ? "null" : e.getAsString();
    }

    /** Each table row equals the JSON array's object, cell for cell. */
    private static void sameTable(List<Map<String, String>> table, JsonArray json) {
        assertThat(json).hasSize(table.size());
        for (int i = 0; i < table.size(); i++) {
            JsonObject o = json.get(i).getAsJsonObject();
            assertThat(o.keySet()).containsExactlyElementsOf(table.get(i).keySet());
            for (var cell : table.get(i).entrySet()) {
                assertThat(cell(o.get(cell.getKey()))).as(cell.getKey()).isEqualTo(cell.getValue());
            }
        }
    }

    /** The "name: value" lines equal the JSON object's scalar members. */
    private static void sameFields(Map<String, String> fields, JsonObject json) {
        assertThat(fields).isNotEmpty();
        for (var f : fields.entrySet()) {
            assertThat(cell(json.get(f.getKey()))).as(f.getKey()).isEqualTo(f.getValue());
        }
    }

    private static JsonObject json(String out) {
        return JsonParser.parseString(out).getAsJsonObject();
    }

    @Test
    void jsonCarriesTheTablesFigures() {
        assertThat(bhctl.runWithInput(new byte[] {1, 2, 3}, "write", "j1", "64K").exit()).isZero();
        assertThat(bhctl.runWithInput(new byte[] {1}, "write", "j1", "0", "--direct").exit()).isZero();

        sameTable(TextOutput.table(text("volumes"), "name"), json(text("volumes", "-o", "json")).getAsJsonArray("volumes"));
        sameTable(TextOutput.table(text("locks"), "volume"), json(text("locks", "-o", "json")).getAsJsonArray("locks"));
        sameTable(TextOutput.table(text("block-status", "j1", "0", "2M"), "offset"),
                json(text("block-status", "j1", "0", "2M", "-o", "json")).getAsJsonArray("extents"));
        sameFields(TextOutput.fields(text("stat", "j2")), json(text("stat", "j2", "-o", "json")));
        JsonObject created = json(text("create", "j3", "3M", "--lock", "range", "--direct", "-o", "json"));
        assertThat(created.get("size_bytes").getAsLong()).isEqualTo(3 << 20);
        assertThat(created.get("lock").getAsString()).isEqualTo("range");
        assertThat(created.get("io").getAsString()).isEqualTo("direct");
        assertThat(json(text("read", "j1", "64K", "3", "--out", data.resolve("r.bin").toString(), "-o", "json"))
                .get("bytes_read").getAsLong()).isEqualTo(3);
    }

    @Test
    void oneReportRendersTheSameFiguresBothWays() {
        Report r = new Report().put("name", "a \"quoted\"\tname").put("rate", Report.oneDecimal(1234.56))
                .put("tiny", Report.oneDecimal(0.04)).put("big", Long.MAX_VALUE).put("flag", true)
                .put("rows", new Report.Table("kind", "ops_per_s").row("x", Report.oneDecimal(1e7 / 3)));
        JsonObject j = json(Json.of(r));
        String t = TextLayout.of(r);
        assertThat(j.get("rate").getAsBigDecimal()).isEqualTo(new BigDecimal("1234.6"));
        assertThat(j.get("name").getAsString()).isEqualTo("a \"quoted\"\tname");
        sameFields(Map.of("rate", "1234.6", "tiny", "0.0", "big", String.valueOf(Long.MAX_VALUE), "flag", "true"), j);
        assertThat(TextOutput.fields(t)).containsEntry("rate", "1234.6").containsEntry("tiny", "0.0");
        sameTable(TextOutput.table(t, "kind"), j.getAsJsonArray("rows"));
    }

    /** The five seconds, four threads, every kind. */
    @Test
    void benchRunsAMixedLoadAndReportsEveryKind() {
        String out = text("bench", "bench", "--duration", "5s", "--threads", "4", "--region", "16M", "--seed", "42");
        System.out.println(out);
        Map<String, String> head = TextOutput.fields(out);
        assertThat(head).containsEntry("threads", "4").containsEntry("seed", "42").containsEntry("region_bytes", "16777216");
        assertThat(new BigDecimal(head.get("seconds"))).isBetween(new BigDecimal("5.0"), new BigDecimal("60.0"));
        List<Map<String, String>> kinds = TextOutput.table(out, "kind");
        assertThat(kinds).extracting(k -> k.get("kind")).containsExactly("buffered", "direct", "fault", "fallocate", "fadvise");
        for (Map<String, String> k : kinds) {
            assertThat(Long.parseLong(k.get("ops"))).as(k.toString()).isPositive();
            for (String figure : List.of("ops_per_s", "p50_us", "p90_us", "p99_us", "max_us")) {
                assertThat(new BigDecimal(k.get(figure))).as(k + " " + figure).isPositive();
            }
            assertThat(new BigDecimal(k.get("p50_us"))).isLessThanOrEqualTo(new BigDecimal(k.get("p99_us")));
            assertThat(new BigDecimal(k.get("p99_us"))).isLessThanOrEqualTo(new BigDecimal(k.get("max_us")));
        }
        long total = kinds.stream().mapToLong(k -> Long.parseLong(k.get("ops"))).sum();
        assertThat(head).containsEntry("total_ops", String.valueOf(total));
        // the load went through the pagecache lock in both modes
        List<Map<String, String>> locks = TextOutput.table(text("locks", "bench"), "volume");
        assertThat(locks).allSatisfy(m -> assertThat(Long.parseLong(m.get("acquisitions"))).isPositive());
    }

    @Test
    void benchInJsonAndOnASubsetOfKinds() {
        JsonObject j = json(text("bench", "bench", "--duration", "1s", "--threads", "2", "--kinds", "buffered,fault",
                "--region", "4M", "-o", "json"));
        JsonArray kinds = j.getAsJsonArray("kinds");
        assertThat(kinds).hasSize(2);
        for (JsonElement k : kinds) {
            assertThat(k.getAsJsonObject().get("ops").getAsLong()).isPositive();
            assertThat(k.getAsJsonObject().get("p99_us").getAsBigDecimal()).isPositive();
        }
        assertThat(j.get("seed").getAsLong()).isNotNull();
    }
}
