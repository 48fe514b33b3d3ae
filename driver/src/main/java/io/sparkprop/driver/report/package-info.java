/** Run reports: XChart charts (curves, confusion matrix, decision regions) and report.html. */
package io.sparkprop.driver.report;
