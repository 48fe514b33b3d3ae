/**
 * Turning data into training examples: {@link io.sparkprop.datasets.ExampleSet} (the one
 * representation every reader and generator produces), readers, validation and generators.
 * Knows Spark, never the training loop. Transformations go through {@link io.sparkprop.datasets.Rdds},
 * which hands Spark no closure for its ClosureCleaner to parse.
 */
package io.sparkprop.datasets;
