package io.blockhaus.s3.ownership;

import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;

/**
 * A volume as opened: its geometry from the manifest and this server's standing (owner, or
 * read-only when another server holds a live lease or the request asked for read-only).
 *
 * @param storeRefusesSecondCreate the create-only probe's answer for this bucket: true when the
 *                                 store refuses a second create of one key, so ownership is
 *                                 fenced; false when it ignores {@code If-None-Match: *} and
 *                                 ownership is at best advisory (print it at start-up)
 */
public record OwnedVolume(VolumeGeometry geometry, VolumeOwnership ownership, boolean storeRefusesSecondCreate) {
}
