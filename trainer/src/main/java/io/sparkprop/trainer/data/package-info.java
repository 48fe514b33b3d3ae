/**
 * The packed, validated examples the engine trains on (one block per Spark partition): in heap
 * arrays ({@link io.sparkprop.trainer.data.Examples}) or in a memory-mapped file
 * ({@link io.sparkprop.trainer.data.MappedExamples}), both read through
 * {@link io.sparkprop.trainer.data.RowSource}.
 */
package io.sparkprop.trainer.data;
