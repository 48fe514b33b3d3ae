/**
 * Benchmarks (engine against sgemm, per-step overhead, the CLI's real path, data generation,
 * scale-out of the step over local-cluster and standalone executors with the driver's own socket
 * counters ({@code DriverSockets}), the whole suite); they print Markdown tables.
 */
package io.sparkprop.driver.bench;
