/**
 * The per-volume pagecache lock: ADD and BLOCK modes, two policies (one lock per volume, or
 * page ranges), fair hand-off between modes, bounded waits, and a listener that sees every
 * acquisition.
 */
package io.blockhaus.engine.lock;
