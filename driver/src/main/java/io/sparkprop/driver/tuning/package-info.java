/**
 * JVM and Spark tuning in one place: the Spark settings Sparkprop gives a session where the user
 * set none ({@link io.sparkprop.driver.tuning.SparkDefaults}) and, in local mode, the JIT compiler
 * directives installed before the first task ({@link io.sparkprop.driver.tuning.CompilerDirectives},
 * {@code compiler-directives.json}; {@code conf/compile-commands.txt} for executors names methods
 * by their full path, and {@code CompileCommandsTest} checks that each still exists). The warm-up
 * of the step's code is in {@code loop}, beside the code it runs. Imports nothing else of the driver.
 */
package io.sparkprop.driver.tuning;
