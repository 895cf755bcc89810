package io.blockhaus.s3.ownership;

import io.blockhaus.s3.VolumeGeometry;
import io.blockhaus.s3.VolumeOwnership;

/**
 * A volume as opened: its geometry from the manifest and this server's standing (owner, or
 * read-only when another server holds a live lease or the request asked for read-only).
 */
public record OwnedVolume(VolumeGeometry geometry, VolumeOwnership ownership) {
}
