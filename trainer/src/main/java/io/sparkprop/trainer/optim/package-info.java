/**
 * Optimizers on one flat float32 parameter array (SGD, momentum, Nesterov, Adam, AdamW, weight
 * decay, gradient clipping), their snapshot-able state, and learning-rate schedules.
 */
package io.sparkprop.trainer.optim;
