/** The sparkprop command line (picocli): train, evaluate, predict, export; exit codes 0, 1, 2 (bad input), 3 (reserved). */
package io.sparkprop.driver.cli;
