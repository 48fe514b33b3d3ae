/** Trained models and their directory format (model.json, weights.bin, checksums.sha256); see docs/model-format.md. */
package io.sparkprop.driver.model;
