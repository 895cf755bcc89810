/**
 * The per-volume pagecache lock: ADD and BLOCK modes, two policies (one lock per volume, or
 * page ranges), fair hand-off between modes, bounded waits (the volume's timeout, or a call's
 * deadline and cancellation: {@link io.blockhaus.engine.call.CallBudget}), and a listener that sees every
 * acquisition.
 *
 * <p>Start with {@link io.blockhaus.engine.lock.PagecacheLock} (the contract), then the design
 * notes at the top of {@link io.blockhaus.engine.lock.TwoStateLock} (one atomic word, phase-fair
 * batch hand-off) and {@link io.blockhaus.engine.lock.RangeLock} (interval trees under a mutex
 * nobody waits for, overlap-only conflicts, FIFO fairness among overlapping requests). Both
 * refuse a request that would wait for its own thread's hold with EDEADLOCK. {@code WaitNode}
 * holds the park/grant protocol both share; the range policy's {@code RangeLockTable} its rules
 * (who holds, who waits, who may proceed) over {@code RangeTree}, its interval treap, of
 * {@code RangeHold}s; everything else here is small plumbing.
 */
package io.blockhaus.engine.lock;
