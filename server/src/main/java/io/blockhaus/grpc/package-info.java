/**
 * The gRPC front end: turns blockhaus.v1 requests into the engine operations of DESIGN.md's
 * table (the same ones the NBD front end calls) and engine failures into google.rpc.Status.
 * Nothing here touches the engine's store or the NBD package; volumes come and go through
 * {@link io.blockhaus.grpc.VolumeCatalog}, which the server wires to its registry.
 */
package io.blockhaus.grpc;
