package io.blockhaus.s3;

import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;

/**
 * A bucket {@link RgwFixture} created for one test on {@code rgw}; deleted, with everything in it,
 * after that test.
 */
public record RgwBucket(Rgw rgw, String name) {
    /** Deletes every object of the bucket, then the bucket: a memstore OSD holds them in RAM. */
    void delete() {
        try (S3Client s3 = rgw.newClient()) {
            ListObjectsV2Response page;
            String token = null;
            do {
                String t = token;
                page = s3.listObjectsV2(b -> b.bucket(name).continuationToken(t));
                List<ObjectIdentifier> keys = page.contents().stream()
                        .map(o -> ObjectIdentifier.builder().key(o.key()).build()).toList();
                if (!keys.isEmpty()) {
                    // DeleteObjects is one of the operations that do require a checksum (Content-MD5 or
                    // CRC): the client adds it under WHEN_REQUIRED, and this RGW accepts it.
                    s3.deleteObjects(b -> b.bucket(name).delete(d -> d.objects(keys).quiet(true)));
                }
                token = page.nextContinuationToken();
            } while (Boolean.TRUE.equals(page.isTruncated()));
            s3.deleteBucket(b -> b.bucket(name));
        }
    }
}
