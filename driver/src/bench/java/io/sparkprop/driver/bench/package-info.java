/**
 * Benchmarks (engine against sgemm, per-step overhead, the CLI's real path, data generation,
 * scale-out of the step over local-cluster and standalone executors with the driver's own socket
 * counters ({@code DriverSockets}), the whole suite); they print Markdown tables. They run the
 * product's own pipeline ({@code job}) and compile with the tests (src/bench/java), so they are
 * not in the product jar; bin/bench and its siblings run them.
 */
package io.sparkprop.driver.bench;
