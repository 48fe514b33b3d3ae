/** Benchmarks of the engine alone (no Spark); they print Markdown tables. */
package io.sparkprop.trainer.bench;
