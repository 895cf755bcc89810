/** Error numbers and the one exception type every engine operation fails with. */
package io.blockhaus.engine.errno;
