/** Benchmarks of the data sources; they print Markdown tables. */
package io.sparkprop.datasets.bench;
