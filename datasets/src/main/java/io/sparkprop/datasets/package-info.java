/**
 * Turning data into training examples: {@link io.sparkprop.datasets.ExampleSet} (the one
 * representation every reader and generator produces), readers, validation and generators.
 * Knows Spark, never the training loop.
 */
package io.sparkprop.datasets;
