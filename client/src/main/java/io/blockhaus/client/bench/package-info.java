/**
 * Benchmark tools for deploy/bench/grpc-nbd.sh, not part of the API: {@link GrpcBench}, a load
 * generator over the client library, and {@link NullServer}, a gRPC server of the same API that
 * does nothing, whose rates are the gRPC path's ceiling on a machine.
 */
package io.blockhaus.client.bench;
