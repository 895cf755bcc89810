/** Helpers shared by tests of several packages (child JVMs to kill). */
package io.blockhaus.testing;
