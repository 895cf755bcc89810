package io.blockhaus.monitoring;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped monitoring files, read from the repository (tests run in the server module, so the
 * repository root is found by walking up to the directory that holds deploy/monitoring), and the
 * external tools that check them.
 */
final class MonitoringFiles {
    private static final Pattern META_NAME = Pattern.compile("\\bblockhaus_[a-z0-9_]+");

    private MonitoringFiles() {
    }

    /** The repository's deploy/monitoring directory. */
    static Path dir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("deploy/monitoring");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no deploy/monitoring above " + Path.of("").toAbsolutePath());
    }

    static Path repositoryRoot() {
        return dir().getParent().getParent();
    }

    /** Skips the test, naming the Debian package, when {@code tool} is not installed. */
    static Path requireTool(String tool) {
        for (String d : List.of("/usr/bin", "/usr/local/bin", "/bin")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        assumeTrue(false, tool + " not found: install the Debian package prometheus"
                + " (apt-get install --no-install-recommends prometheus; .ci/run does); test skipped");
        throw new AssertionError("unreachable");
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One query of one dashboard panel. */
    record PanelQuery(String panel, String refId, String expr) {
    }

    /** Every query of every panel of dashboards/blockhaus.json (rows included, nested or not). */
    static List<PanelQuery> dashboardQueries() {
        JsonObject dash = JsonParser.parseString(read(dir().resolve("dashboards/blockhaus.json"))).getAsJsonObject();
        List<PanelQuery> out = new ArrayList<>();
        collect(dash.getAsJsonArray("panels"), out);
        return out;
    }

    private static void collect(Iterable<JsonElement> panels, List<PanelQuery> out) {
        for (JsonElement e : panels) {
            JsonObject p = e.getAsJsonObject();
            if (p.has("panels")) {
                collect(p.getAsJsonArray("panels"), out);
            }
            if (p.has("targets")) {
                for (JsonElement t : p.getAsJsonArray("targets")) {
                    JsonObject target = t.getAsJsonObject();
                    out.add(new PanelQuery(p.get("title").getAsString(), target.get("refId").getAsString(),
                            target.get("expr").getAsString()));
                }
            }
        }
    }

    /** The expression of every alerting rule, by alert name (read as text: the rules file's own layout). */
    static List<String[]> alertExpressions() {
        // No YAML parser on the test classpath, so this reads the one layout the file keeps (and
        // fails loudly on another): "- alert: NAME", then "expr: ONE LINE" or "expr: |" and an
        // indented block. promtool checks the YAML itself (PromtoolTest).
        List<String[]> out = new ArrayList<>();
        List<String> lines = read(dir().resolve("rules/blockhaus-alerts.yml")).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.startsWith("- alert:")) {
                continue;
            }
            String name = line.substring("- alert:".length()).strip();
            String exprLine = lines.get(i + 1).strip();
            if (!exprLine.startsWith("expr:")) {
                throw new IllegalStateException("alert " + name + ": expr is not the next key");
            }
            String expr = exprLine.substring("expr:".length()).strip();
            if (expr.equals("|")) {
                StringBuilder b = new StringBuilder();
                int indent = lines.get(i + 2).length() - lines.get(i + 2).stripLeading().length();
                for (int j = i + 2; j < lines.size(); j++) {
                    String l = lines.get(j);
                    if (!l.isBlank() && l.length() - l.stripLeading().length() < indent) {
                        break;
                    }
                    b.append(l.strip()).append('\n');
                }
                expr = b.toString().strip();
            }
            out.add(new String[] {name, expr});
        }
        return out;
    }

    /** Prometheus names of the blockhaus meters in docs/metrics.md, timers expanded to _bucket, _count, _sum. */
    static Set<String> catalogue() {
        String doc = read(repositoryRoot().resolve("docs/metrics.md"));
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("`(blockhaus_[a-z0-9_]+?)(_\\{([a-z,]+)\\})?`").matcher(doc);
        while (m.find()) {
            if (m.group(3) == null) {
                names.add(m.group(1));
            } else {
                for (String suffix : m.group(3).split(",")) {
                    names.add(m.group(1) + "_" + suffix);
                }
            }
        }
        return names;
    }

    /** The blockhaus_* metric names an expression uses. */
    static Set<String> metricNames(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher m = META_NAME.matcher(expr);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }
}
