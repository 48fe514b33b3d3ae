/**
 * Training data on the cluster: the validation pass over a data set and the decision where its
 * packed copy lives ({@link io.sparkprop.driver.data.DataCheck},
 * {@link io.sparkprop.driver.data.Placement}, {@link io.sparkprop.driver.data.StorageBudget});
 * packing examples into Spark's block cache or into memory-mapped files on the executors' local
 * disks ({@link io.sparkprop.driver.data.PackedData}), grouped one task per executor; the
 * parentless RDDs that read them back; the fingerprint a checkpoint keeps of its data.
 * Imports only {@code failure}; the loop's preparation of an executor reaches packing as an
 * {@link io.sparkprop.driver.data.ExecutorPreparation}, so packing never depends on the loop.
 */
package io.sparkprop.driver.data;
