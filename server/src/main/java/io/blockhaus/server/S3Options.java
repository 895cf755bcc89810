package io.blockhaus.server;

import io.blockhaus.s3.objects.S3Settings;
import io.blockhaus.s3.ownership.OwnershipRequest;
import io.blockhaus.s3.stripes.StagingBudget;
import io.blockhaus.s3.stripes.StripedStoreOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code serve}'s options for volumes in object storage ({@code --export ...,store=s3}; docs/s3.md).
 * Server-wide: every s3 export of a server uses the one endpoint, and the bounds hold per volume.
 *
 * <p>Credentials are deliberately not options: a secret on a command line is visible to every
 * user of the machine (ps, /proc) and lands in shell histories. The AWS SDK's default sources
 * (environment, profiles, instance roles) are where operators already keep them.
 */
public final class S3Options {

    @Option(names = "--s3-endpoint", paramLabel = "URL", converter = EndpointConverter.class,
            description = "Object store for store=s3 exports (http or https URL, e.g. http://127.0.0.1:7480);"
                    + " default: AWS's endpoint for --s3-region. Credentials come only from the AWS default sources"
                    + " (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws), never from options.")
    private URI endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", defaultValue = "us-east-1",
            description = "Region to sign requests for (stores that are not AWS accept any, commonly us-east-1).")
    private String region;

    @Option(names = "--s3-path-style",
            description = "Address buckets in the path (http://host/bucket/key), not the host name: Ceph RGW, MinIO,"
                    + " S3Proxy and most stores that are not AWS need it.")
    private boolean pathStyle;

    @Option(names = "--s3-unfenced",
            description = "Take ownership of s3 volumes even where the store does not refuse a second create-only"
                    + " write (If-None-Match: *), so a server that lost its lease cannot be fenced. Only when no two"
                    + " servers can ever open one volume at once.")
    private boolean unfenced;

    @Option(names = "--s3-lease", paramLabel = "DURATION", defaultValue = "30s",
            converter = OptionConverters.DurationConverter.class,
            description = "How long this server's ownership of an s3 volume lasts without renewal; another server"
                    + " takes the volume over once it expired: at most 1h, at least 3 x --s3-request-timeout + 1s.")
    private Duration lease;

    @Option(names = "--s3-request-timeout", paramLabel = "DURATION", defaultValue = "5s",
            converter = OptionConverters.DurationConverter.class,
            description = "The longest one request to the object store may take, its retries included: 100ms to 5m.")
    private Duration requestTimeout;

    @Option(names = "--s3-outage-wait", paramLabel = "DURATION", defaultValue = "30s",
            converter = OptionConverters.DurationConverter.class,
            description = "How long a read, write or flush waits for an unreachable object store before failing"
                    + " with EIO (written data stays cached and is stored when the store is back): 0s to 10m.")
    private Duration outageWait;

    @Option(names = "--s3-max-parallel-puts", paramLabel = "N", defaultValue = "8",
            description = "Object PUTs in flight at once per s3 volume: 1 to 256.")
    private int maxParallelPuts;

    @Option(names = "--s3-max-pending", paramLabel = "SIZE", defaultValue = "64M",
            converter = OptionConverters.SizeConverter.class,
            description = "Bytes of objects written back but not yet stored that one s3 volume may hold; a writer"
                    + " past it waits: at least the largest object size, at most 4G.")
    private long maxPending;

    @Option(names = "--s3-max-pending-total", paramLabel = "SIZE", defaultValue = "256M",
            converter = OptionConverters.SizeConverter.class,
            description = "The same bytes for all s3 volumes of this server together, so their memory is bounded,"
                    + " not only each one's: at least --s3-max-pending, at most 16G.")
    private long maxPendingTotal;

    /** Parses nothing further and touches no network: every bound checked, for a usage error (exit 2). */
    void check(List<ExportSpec> exports) {
        between("--s3-request-timeout", requestTimeout, Duration.ofMillis(100), Duration.ofMinutes(5));
        between("--s3-lease", lease, Duration.ofSeconds(1), Duration.ofHours(1));
        between("--s3-outage-wait", outageWait, Duration.ZERO, Duration.ofMinutes(10));
        Duration least = OwnershipRequest.minimumLease(requestTimeout);
        if (lease.compareTo(least) < 0) {
            // A write is allowed only while the lease outlives a request started now, and renewals
            // must fit in what is left (io.blockhaus.s3.ownership.LeaseTiming).
            throw new IllegalArgumentException("--s3-lease " + OptionConverters.DurationConverter.format(lease)
                    + " is too short for --s3-request-timeout " + OptionConverters.DurationConverter.format(requestTimeout)
                    + ": it must be at least 3 x timeout + 1s (" + OptionConverters.DurationConverter.format(least) + ")");
        }
        if (maxParallelPuts < 1 || maxParallelPuts > 256) {
            throw new IllegalArgumentException("--s3-max-parallel-puts: need 1 to 256, got " + maxParallelPuts);
        }
        if (maxPending > 4L << 30) {
            throw new IllegalArgumentException("--s3-max-pending: at most 4G, got " + SizeParser.format(maxPending));
        }
        if (maxPendingTotal < maxPending || maxPendingTotal > 16L << 30) {
            throw new IllegalArgumentException("--s3-max-pending-total: need --s3-max-pending ("
                    + SizeParser.format(maxPending) + ") to 16G, got " + SizeParser.format(maxPendingTotal));
        }
        if (region.isBlank()) {
            throw new IllegalArgumentException("--s3-region must not be empty");
        }
        for (ExportSpec e : exports) {
            if (e.s3().isPresent()) {
                checkObjectSize(e.name(), e.s3().get().objectSize());
            }
        }
    }

    /** An object larger than --s3-max-pending could never be written back. */
    void checkObjectSize(String export, long objectSize) {
        if (objectSize > maxPending) {
            throw new IllegalArgumentException("export '" + export + "': object size " + SizeParser.format(objectSize)
                    + " is larger than --s3-max-pending " + SizeParser.format(maxPending));
        }
    }

    private static void between(String option, Duration d, Duration min, Duration max) {
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(option + ": need " + OptionConverters.DurationConverter.format(min)
                    + " to " + OptionConverters.DurationConverter.format(max) + ", got "
                    + OptionConverters.DurationConverter.format(d));
        }
    }

    /** How to reach {@code bucket}. */
    S3Settings settings(String bucket) {
        return new S3Settings(Optional.ofNullable(endpoint), region, pathStyle, bucket, requestTimeout);
    }

    /** The data path's bounds for each volume, every volume sharing {@code serverBudget}. */
    StripedStoreOptions stripedStoreOptions(StagingBudget serverBudget) {
        return new StripedStoreOptions(maxParallelPuts, maxPending, outageWait).withSharedBudget(serverBudget);
    }

    /** A new server-wide budget of {@code --s3-max-pending-total} bytes. */
    StagingBudget serverBudget() {
        return new StagingBudget(maxPendingTotal);
    }

    /** How this server asks for one volume. */
    OwnershipRequest ownershipRequest(String serverId, OptionalLong sizeIfNew, int objectSizeIfNew, int pageSizeIfNew,
            boolean readOnly) {
        return new OwnershipRequest(serverId, sizeIfNew, objectSizeIfNew, pageSizeIfNew, readOnly, lease, unfenced,
                requestTimeout);
    }

    boolean unfenced() {
        return unfenced;
    }

    /** The endpoint for messages: the URL, or AWS's for the region. */
    String describeEndpoint() {
        return (endpoint != null ? endpoint.toString() : "AWS S3 (" + region + ")") + (pathStyle ? ", path-style" : "");
    }

    /** picocli converter for {@code --s3-endpoint}: an absolute http or https URL with a host. */
    static final class EndpointConverter implements ITypeConverter<URI> {
        @Override
        public URI convert(String value) {
            URI uri;
            try {
                uri = new URI(value);
            } catch (URISyntaxException e) {
                throw new TypeConversionException("invalid URL '" + value + "': " + e.getReason());
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new TypeConversionException("'" + value + "' is not an http:// or https:// URL with a host");
            }
            return uri;
        }
    }
}
