package io.blockhaus.s3.objects;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Where one bucket is and how to reach it; credentials are not here: they come from the AWS SDK's
 * default sources (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles), never from the command line.
 *
 * @param endpoint       the store's URL ({@code --s3-endpoint}); empty: AWS's own endpoint for the region
 * @param region         {@code --s3-region}; stores that are not AWS accept any, commonly us-east-1
 * @param pathStyle      {@code --s3-path-style}: bucket in the path, not the host name (RGW, MinIO, S3Proxy)
 * @param bucket         the bucket; it must exist
 * @param requestTimeout one attempt of one request; bounds how long a lost owner may still write
 */
public record S3Settings(Optional<URI> endpoint, String region, boolean pathStyle, String bucket,
                         Duration requestTimeout) {
}
