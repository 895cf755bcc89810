package io.blockhaus.server;

import io.blockhaus.engine.store.BackingStore;
import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;
import io.blockhaus.s3.objects.AwsObjectStore;
import io.blockhaus.s3.objects.ObjectStore;
import io.blockhaus.s3.objects.S3Settings;
import io.blockhaus.s3.ownership.OwnedVolume;
import io.blockhaus.s3.ownership.OwnershipRequest;
import io.blockhaus.s3.ownership.VolumeOwnerships;
import io.blockhaus.s3.stripes.StripedStore;
import io.blockhaus.s3.stripes.StripedStoreOptions;

/**
 * The three constructors an s3 volume is built from (docs/s3.md, "The parts and their seams"), as
 * one seam: production builds the real parts, the wiring's tests a bucket in memory and parts that
 * record what was opened and closed, and in which order.
 */
interface S3Parts {

    /** One bucket at one endpoint; shared by every volume in it. */
    ObjectStore connect(S3Settings settings);

    /** Reads (or creates) the volume's manifest and takes ownership, or falls back to read-only. */
    OwnedVolume own(ObjectStore objects, String root, OwnershipRequest request);

    /** The volume's data, striped over objects under {@code root + "data/"}. */
    BackingStore stripe(ObjectStore objects, String root, VolumeGeometry geometry, VolumeOwnership ownership,
            StripedStoreOptions options);

    /**
     * The real parts: the AWS SDK, the manifest and lease, the striped store. One per server: its
     * ownerships probe each bucket once and remember the answer.
     */
    static S3Parts real() {
        VolumeOwnerships ownerships = new VolumeOwnerships();
        return new S3Parts() {
        @Override
        public ObjectStore connect(S3Settings settings) {
            return new AwsObjectStore(settings); // credentials from the SDK's default chain only
        }

        @Override
        public OwnedVolume own(ObjectStore objects, String root, OwnershipRequest request) {
            return ownerships.open(objects, root, request);
        }

        @Override
        public BackingStore stripe(ObjectStore objects, String root, VolumeGeometry geometry, VolumeOwnership ownership,
                StripedStoreOptions options) {
            return new StripedStore(objects, root, geometry, ownership, options);
        }
        };
    }
}
