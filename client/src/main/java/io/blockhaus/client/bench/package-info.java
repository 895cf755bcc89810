/** A load generator over the client library, for deploy/bench/grpc-nbd.sh; not part of the API. */
package io.blockhaus.client.bench;
