package io.blockhaus.metrics.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The three paths, matched exactly (the JDK matches contexts by prefix, so one context at {@code /}
 * decides, and {@code /metricsx} is a 404 like any other unknown path). GET and HEAD are answered
 * (HEAD with the headers GET would send and no body; a HEAD of {@code /metrics} does not scrape);
 * any other method is a 405 naming the allowed ones.
 */
final class Routes implements HttpHandler {
    private static final String TEXT = "text/plain; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final Runnable beforeScrape;
    private final Readiness readiness;

    Routes(PrometheusMeterRegistry registry, Runnable beforeScrape, Readiness readiness) {
        this.registry = registry;
        this.beforeScrape = beforeScrape;
        this.readiness = readiness;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean known = path.equals("/metrics") || path.equals("/healthz") || path.equals("/readyz");
            if (!known) {
                send(exchange, 404, TEXT, "not found; try /metrics, /healthz or /readyz\n");
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, TEXT, "method " + method + " not allowed; use GET or HEAD\n");
                return;
            }
            switch (path) {
                case "/metrics" -> metrics(exchange);
                case "/healthz" -> send(exchange, 200, TEXT, "ok\n");
                default -> {
                    String reason = readiness.notReadyReason();
                    send(exchange, reason == null ? 200 : 503, TEXT, reason == null ? "ready\n" : "not ready: " + reason + "\n");
                }
            }
        }
    }

    private void metrics(HttpExchange exchange) throws IOException {
        ExpositionFormat format = ExpositionFormat.negotiate(exchange.getRequestHeaders().getFirst("Accept"));
        exchange.getResponseHeaders().set("Vary", "Accept");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Type", format.contentType);
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
        try {
            beforeScrape.run();
            registry.scrape(body, format.scrapeAccept);
        } catch (RuntimeException e) {
            send(exchange, 500, TEXT, "scrape failed: " + e + "\n");
            return;
        }
        send(exchange, 200, format.contentType, body.toByteArray());
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    /** The response; for HEAD only its headers (the JDK wants -1, and Content-Length set by hand). */
    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
