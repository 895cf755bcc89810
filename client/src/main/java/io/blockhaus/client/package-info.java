/**
 * The Java client library of Blockhaus's gRPC API: {@link io.blockhaus.client.BlockhausClient}
 * opens {@link io.blockhaus.client.VolumeHandle}s and administers volumes; failures are
 * {@link io.blockhaus.client.BlockhausException}s carrying the server's errno name.
 */
package io.blockhaus.client;
