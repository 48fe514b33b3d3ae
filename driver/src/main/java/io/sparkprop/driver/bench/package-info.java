/** Benchmarks (engine against sgemm, per-step overhead, data generation, the whole suite); they print Markdown tables. */
package io.sparkprop.driver.bench;
