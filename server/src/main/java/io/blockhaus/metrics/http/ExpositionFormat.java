package io.blockhaus.metrics.http;

import java.util.Locale;

/**
 * The two text formats {@code /metrics} speaks, and the choice between them from an Accept
 * header. Only these two: Prometheus's protobuf format is not offered, since the scrape
 * libraries would pick it whenever a scraper lists it first and then answer with a content type
 * we never declared. The choice: OpenMetrics 1.0 when the header lists
 * {@code application/openmetrics-text} with a quality above zero and at least that of
 * {@code text/plain}; otherwise Prometheus text 0.0.4, the format every scraper understands
 * (also for a missing header or {@code *}{@code /*}).
 */
enum ExpositionFormat {
    PROMETHEUS_TEXT("text/plain; version=0.0.4; charset=utf-8", "text/plain; version=0.0.4"),
    OPENMETRICS("application/openmetrics-text; version=1.0.0; charset=utf-8", "application/openmetrics-text; version=1.0.0");

    /** What the response declares. */
    final String contentType;
    /** What the registry's scrape is asked for (it picks its writer from an Accept header). */
    final String scrapeAccept;

    ExpositionFormat(String contentType, String scrapeAccept) {
        this.contentType = contentType;
        this.scrapeAccept = scrapeAccept;
    }

    static ExpositionFormat negotiate(String accept) {
        if (accept == null) {
            return PROMETHEUS_TEXT;
        }
        double openMetrics = -1;
        double text = -1;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].strip().toLowerCase(Locale.ROOT);
            double q = quality(parts);
            if (type.equals("application/openmetrics-text")) {
                openMetrics = Math.max(openMetrics, q);
            } else if (type.equals("text/plain")) {
                text = Math.max(text, q);
            }
        }
        return openMetrics > 0 && openMetrics >= text ? OPENMETRICS : PROMETHEUS_TEXT;
    }

    /** The {@code q} parameter of one media range; 1 when absent, 0 when unreadable (not acceptable). */
    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].strip();
            if (p.length() > 2 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.charAt(1) == '=') {
                try {
                    return Double.parseDouble(p.substring(2).strip());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
