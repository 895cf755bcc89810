/**
 * JMH microbenchmarks of the engine's hot paths (pagecache lock, cached and missing reads).
 * Built by {@code mvn verify}, run by hand: see docs/benchmarks.md.
 */
package io.blockhaus.jmh;
