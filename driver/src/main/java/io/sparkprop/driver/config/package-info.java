/** The job configuration: HOCON files and --set overrides over documented defaults ({@link io.sparkprop.driver.config.Keys}). */
package io.sparkprop.driver.config;
