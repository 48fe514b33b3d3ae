/**
 * Failures of Spark jobs: recognising a failed job or a lost run
 * ({@link io.sparkprop.driver.failure.JobFailures}: Scala throws the checked SparkException
 * undeclared, so every place that promises recovery asks here what it caught), and the executor
 * faults the fault suite injects at named points ({@link io.sparkprop.driver.failure.ExecutorFaults}).
 * Imports nothing else of the driver: every other package may use it.
 */
package io.sparkprop.driver.failure;
