/**
 * Integration tests on a real standalone Spark cluster (bin/cluster: a master and workers in
 * their own JVMs), run by Failsafe after the cluster jar is packaged, and the small Spark ML
 * application they submit.
 */
package io.sparkprop.driver.it;
