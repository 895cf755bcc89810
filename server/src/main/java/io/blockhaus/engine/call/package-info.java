/**
 * A call's budget: how long a front end's caller may still wait (its deadline) and whether it
 * still wants an answer (cancellation), handed to the engine's waits without the engine knowing
 * which protocol asked. {@link io.blockhaus.engine.call.CallBudget} is the whole package.
 */
package io.blockhaus.engine.call;
