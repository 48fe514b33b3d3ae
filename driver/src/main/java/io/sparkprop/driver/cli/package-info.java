/**
 * The sparkprop command line (picocli): train, retrain, registry, evaluate, predict, export.
 * {@link io.sparkprop.driver.cli.TrainingJob} is the one pipeline train and retrain share. Exit
 * codes: 0 success, 2 bad input/config or a busy registry, 3 retrain's gate refused, 4 training
 * diverged, 1 anything else. {@link io.sparkprop.driver.cli.Session} is a run's Spark (and, in
 * local mode, the JVM's compiler directives: {@link io.sparkprop.driver.cli.CompilerDirectives}).
 */
package io.sparkprop.driver.cli;
