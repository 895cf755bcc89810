package io.blockhaus.limits;

/**
 * How a server-wide byte budget is split so that no client can starve the others (the NBD
 * payload budget, the gRPC payload budget): half of the limit evenly over the connection slots, a
 * <em>share</em> each connection always has, whatever the others hold; the rest a <em>pool</em>
 * shared first come. Shares and pool add up to the limit, so a budget that takes a reservation from
 * its connection's share first and the rest from the pool never holds more than the limit. The
 * pool must hold the largest single reservation, or that one could never be granted.
 *
 * @param limit bytes all connections together may hold
 * @param share bytes each connection slot keeps for itself
 * @param pool  bytes shared first come: the limit less every slot's share
 */
public record ShareSplit(long limit, long share, long pool) {

    /** The split of {@code limit} over {@code slots} connection slots. */
    public static ShareSplit of(long limit, int slots) {
        if (limit < 1 || slots < 1) {
            throw new IllegalArgumentException("a budget and its connection slots must be positive: " + limit + ", " + slots);
        }
        long share = limit / 2 / slots;
        return new ShareSplit(limit, share, limit - share * slots);
    }

    /** Whether the pool holds a reservation of {@code largest} bytes (so every reservation can be granted). */
    public boolean holds(long largest) {
        return pool >= largest;
    }
}
