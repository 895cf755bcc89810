/**
 * A call's budget: how long a front end's caller may still wait (its deadline) and whether it
 * still wants an answer (cancellation), handed to the engine's waits without the engine knowing
 * which protocol asked: {@link io.blockhaus.engine.call.CallBudget}, and
 * {@link io.blockhaus.engine.call.ReleaseWaits}, where a budgeted call waits for a JDK lock so
 * that its cancellation wakes it.
 */
package io.blockhaus.engine.call;
