/** Benchmarks of the distributed loop; they print Markdown tables. */
package io.sparkprop.driver.bench;
