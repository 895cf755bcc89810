package io.blockhaus.metrics;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * A JDK Flight Recorder event for one long wait for a volume's pagecache lock (granted or not),
 * committed by {@link LockWaitRecorder} when the wait is over. Its own start time is therefore
 * the end of the wait; {@code wait} says how long it was, and the stack trace (on by default)
 * says which engine path waited. Volume, mode and range say on whom: the holders of the other
 * mode over that range. Look for it in JDK Mission Control's event browser under
 * Blockhaus / Lock, or {@code jfr print --events io.blockhaus.LockWait rec.jfr}.
 */
@Name(LockWaitEvent.NAME)
@Label("Pagecache Lock Wait")
@Category({"Blockhaus", "Lock"})
@Description("A wait for a volume's pagecache lock longer than the server's --jfr-lock-wait-threshold")
@StackTrace(true)
final class LockWaitEvent extends Event {
    static final String NAME = "io.blockhaus.LockWait";

    @Label("Volume")
    String volume;

    @Label("Mode")
    @Description("add or block")
    String mode;

    @Label("Policy")
    @Description("two-state or range")
    String policy;

    @Label("Offset")
    @Description("first byte of the range the request asked for")
    @DataAmount(DataAmount.BYTES)
    long offset;

    @Label("Length")
    @Description("bytes of the range the request asked for; -1: to the end of the volume, whatever its size")
    @DataAmount(DataAmount.BYTES)
    long length;

    @Label("Wait")
    @Timespan(Timespan.NANOSECONDS)
    long wait;

    @Label("Outcome")
    @Description("acquired, timeout, edeadlock, interrupted")
    String outcome;
}
