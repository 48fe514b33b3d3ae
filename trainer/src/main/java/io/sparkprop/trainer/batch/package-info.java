/**
 * The minibatch definition: which examples form batch k of epoch e, as a pure function of
 * (seed, epoch, example id), so that any shard finds its share alone.
 */
package io.sparkprop.trainer.batch;
