/**
 * The sparkprop command line (picocli): train, retrain, registry, evaluate, predict, export, each
 * a thin command over the {@code job} pipeline. Exit codes: 0 success, 2 bad input/config or a
 * busy registry, 3 retrain's gate refused, 4 training diverged, 1 anything else. Nothing else in
 * the driver imports this package.
 */
package io.sparkprop.driver.cli;
