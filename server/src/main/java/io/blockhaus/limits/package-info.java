/**
 * What the front ends refuse to protect the server from its clients: the fixed set of reasons a
 * connection, call or request is refused by a limit ({@link io.blockhaus.limits.RefusalReason}),
 * their counters ({@link io.blockhaus.limits.Refusals}, read by the metrics binding as
 * {@code blockhaus.frontend.refused{frontend, reason}}), a log that cannot be flooded
 * ({@link io.blockhaus.limits.RateLimitedLog}) and the connection caps both front ends apply at
 * accept ({@link io.blockhaus.limits.ConnectionCaps}). No Netty, gRPC or Micrometer here: both front
 * ends and the metrics binding depend on this package, not the reverse.
 */
package io.blockhaus.limits;
