package io.blockhaus.metrics.frontend;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code blockhaus_requests_seconds} as one Prometheus text scrape shows it, for tests: the family
 * is not a Micrometer meter ({@link RequestHistograms}), so tests read what a scraper reads.
 */
public final class ScrapedRequests {
    private static final String NAME = "blockhaus_requests_seconds";
    private final String[] lines;

    private ScrapedRequests(String scrape) {
        this.lines = scrape.split("\n");
    }

    public static ScrapedRequests of(PrometheusMeterRegistry registry) {
        return new ScrapedRequests(registry.scrape());
    }

    /** The label set as the text format writes it (names sorted). */
    static String labels(String frontend, String volume, String op, String outcome) {
        return "{frontend=\"" + frontend + "\",op=\"" + op + "\",outcome=\"" + outcome + "\",volume=\"" + volume + "\"";
    }

    /** {@code _count} of that series; 0 when the series is not in the scrape. */
    public long count(String frontend, String volume, String op, String outcome) {
        String v = value("_count" + labels(frontend, volume, op, outcome) + "}");
        return v == null ? 0 : Long.parseLong(v);
    }

    /** {@code _sum} in seconds; NaN when the series is not in the scrape. */
    public double sum(String frontend, String volume, String op, String outcome) {
        String v = value("_sum" + labels(frontend, volume, op, outcome) + "}");
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    /** {@code _max} in seconds; NaN when the series is not in the scrape. */
    public double max(String frontend, String volume, String op, String outcome) {
        String v = value("_max" + labels(frontend, volume, op, outcome) + "}");
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    /** The cumulative count of bucket {@code le} (as written: {@code "1.0E-6"}, {@code "+Inf"}); -1 when absent. */
    public long bucket(String frontend, String volume, String op, String outcome, String le) {
        String v = value("_bucket" + labels(frontend, volume, op, outcome) + ",le=\"" + le + "\"}");
        return v == null ? -1 : Long.parseLong(v);
    }

    /** The label sets of every series, as written between the braces of its {@code _count} line. */
    public List<String> series() {
        List<String> s = new ArrayList<>();
        for (String l : lines) {
            if (l.startsWith(NAME + "_count{")) {
                s.add(l.substring(l.indexOf('{'), l.lastIndexOf('}') + 1));
            }
        }
        return s;
    }

    private String value(String suffixAndLabels) {
        String prefix = NAME + suffixAndLabels + " ";
        for (String l : lines) {
            if (l.startsWith(prefix)) {
                return l.substring(prefix.length()).trim();
            }
        }
        return null;
    }
}
