/**
 * The model registry behind {@code sparkprop retrain} and {@code sparkprop registry}: immutable
 * versions {@code v0001, v0002, ...} (a model directory plus {@code record.json}), a
 * {@code CURRENT} file naming the published one that moves only after the new version is
 * completely written and re-read, rejected candidates under {@code rejected/}, an event log,
 * and a lock with a heartbeat so that two jobs never write one registry at once.
 */
package io.sparkprop.driver.registry;
