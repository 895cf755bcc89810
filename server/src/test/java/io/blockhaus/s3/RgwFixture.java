package io.blockhaus.s3;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real distributed object store for tests: Ceph's RADOS Gateway. Register it with
 * {@code @ExtendWith(RgwFixture.class)} and take an {@link Rgw} (the gateway) or an {@link RgwBucket}
 * (a bucket created for this one test, emptied and deleted after it) as a parameter of a test,
 * a lifecycle method or the test class's constructor. Every test of a class that registers it
 * needs the gateway: where there is none, the whole class is skipped (an execution condition,
 * evaluated before {@code @BeforeAll}: an assumption failing inside parameter resolution would be
 * reported as an error, not a skip), so keep tests that need no gateway in another class.
 *
 * <p>Which gateway, decided once per test JVM and kept in the root context's store (so every test
 * class shares it, and JUnit closes it after the last test):
 * <ol>
 *   <li>{@code BLOCKHAUS_TEST_RGW_SKIP} set (to a reason): every RGW test skips with it. .ci/run sets
 *       it when it could not install or start Ceph, so the tests do not try again.</li>
 *   <li>{@code BLOCKHAUS_TEST_RGW_ENDPOINT}, {@code _ACCESS_KEY}, {@code _SECRET_KEY} set: that gateway
 *       (.ci/run starts one cluster for the whole build and exports these).</li>
 *   <li>Ceph's daemons installed: a micro-Ceph started by deploy/ceph/micro-ceph.sh in a temporary
 *       directory on a free port ({@link MicroCeph}), stopped after the last test. When it does not
 *       come up, every RGW test fails with the script's output: a broken Ceph is not a missing one.</li>
 *   <li>Otherwise every RGW test skips, saying which packages to install.</li>
 * </ol>
 * No static state: what is shared lives in the store, computed by whichever test asks first.
 */
public final class RgwFixture implements ExecutionCondition, ParameterResolver {
    static final String ENDPOINT = "BLOCKHAUS_TEST_RGW_ENDPOINT";
    static final String ACCESS_KEY = "BLOCKHAUS_TEST_RGW_ACCESS_KEY";
    static final String SECRET_KEY = "BLOCKHAUS_TEST_RGW_SECRET_KEY";
    static final String SKIP = "BLOCKHAUS_TEST_RGW_SKIP";

    /** What micro-ceph.sh runs; all of them come with the packages below. */
    private static final List<String> CEPH_BINARIES = List.of("ceph", "ceph-mon", "ceph-osd", "radosgw",
            "radosgw-admin", "ceph-authtool", "monmaptool");
    private static final String PACKAGES = "ceph-mon ceph-osd ceph-mgr radosgw ceph-common";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RgwFixture.class);

    /**
     * The outcome of looking for a gateway, computed once per JVM and closed by JUnit with the root
     * store: closing stops the cluster this JVM started, if it started one. (JUnit 5.13+ closes
     * AutoCloseable values and warns about a CloseableResource that is not one; older ones close
     * only CloseableResource: both, so either closes it once.)
     */
    private sealed interface Lookup extends ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        default void close() {
        }
    }

    /** A gateway; {@code started} is the cluster this JVM started for it, or null when it came from the environment. */
    private record Found(Rgw rgw, MicroCeph started) implements Lookup {
        @Override
        public void close() {
            if (started != null) {
                started.close();
            }
        }
    }

    private record Skip(String reason) implements Lookup {
    }

    private record Broken(RuntimeException cause) implements Lookup {
    }

    /** Deletes a test's bucket when JUnit closes that test's store. */
    private record Deletion(RgwBucket bucket) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            bucket.delete();
        }
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return switch (lookup(context)) {
            case Skip s -> ConditionEvaluationResult.disabled(s.reason());
            case Found f -> ConditionEvaluationResult.enabled("RGW: " + f.rgw().origin());
            // enabled: the test then fails on the cause (a broken Ceph is not a missing one)
            case Broken b -> ConditionEvaluationResult.enabled("the RGW test cluster did not start");
        };
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Rgw.class || type == RgwBucket.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (lookup(context) instanceof Skip s) {   // only when a condition did not run first
            throw new ParameterResolutionException(s.reason());
        }
        Rgw rgw = rgw(context);
        if (parameter.getParameter().getType() == Rgw.class) {
            return rgw;
        }
        String prefix = context.getTestMethod().map(m -> m.getName()).orElse(context.getDisplayName());
        RgwBucket bucket = new RgwBucket(rgw, rgw.createBucket(prefix));
        // The test's own store is closed after it (and its @AfterEach): the bucket goes, and with
        // it the memory its objects held in the memstore OSD.
        context.getStore(NAMESPACE).put(bucket.name(), new Deletion(bucket));
        return bucket;
    }

    /**
     * The gateway for this JVM's tests, for another extension or a callback; skips (an assumption)
     * or fails the calling test when there is none.
     */
    public static Rgw rgw(ExtensionContext context) {
        return switch (lookup(context)) {
            case Found f -> f.rgw();
            case Skip s -> {
                assumeTrue(false, s.reason());
                throw new AssertionError("unreachable");
            }
            case Broken b -> throw new IllegalStateException("the RGW test cluster did not start (once per JVM;"
                    + " every RGW test reports this)", b.cause());
        };
    }

    private static Lookup lookup(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Lookup.class, k -> find(), Lookup.class);
    }

    private static Lookup find() {
        Map<String, String> env = System.getenv();
        if (env.containsKey(SKIP)) {
            return new Skip("RGW tests skipped: " + env.get(SKIP));
        }
        if (env.containsKey(ENDPOINT)) {
            String ak = env.get(ACCESS_KEY);
            String sk = env.get(SECRET_KEY);
            if (ak == null || sk == null) {
                return new Broken(new IllegalStateException(ENDPOINT + " is set but " + ACCESS_KEY + " or "
                        + SECRET_KEY + " is not"));
            }
            return new Found(new Rgw(URI.create(env.get(ENDPOINT)), ak, sk, "the environment (" + ENDPOINT + ")"), null);
        }
        List<String> missing = CEPH_BINARIES.stream().filter(b -> !Files.isExecutable(Path.of("/usr/bin", b))).toList();
        if (!missing.isEmpty()) {
            return new Skip("no RADOS Gateway: " + missing + " not installed (apt-get install --no-install-recommends "
                    + PACKAGES + "), and " + ENDPOINT + " (+ " + ACCESS_KEY + ", " + SECRET_KEY
                    + ") not set; RGW test skipped");
        }
        try {
            MicroCeph cluster = MicroCeph.start(repositoryFile("deploy/ceph/micro-ceph.sh"));
            return new Found(cluster.rgw(), cluster);
        } catch (RuntimeException e) {
            return new Broken(e);
        }
    }

    /** A file of the repository, e.g. deploy/ceph/micro-ceph.sh, found by walking up from the working directory (server/ under Maven). */
    static Path repositoryFile(String relative) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve(relative);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no " + relative + " above " + Path.of("").toAbsolutePath());
    }
}
