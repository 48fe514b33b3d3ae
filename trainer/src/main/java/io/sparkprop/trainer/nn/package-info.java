/**
 * The network: its immutable {@link io.sparkprop.trainer.nn.NetworkSpec} and flat parameter
 * layout, activations, output heads fused with their losses, initialisers, and the batch
 * forward/backward passes over BLAS ({@link io.sparkprop.trainer.nn.Network}) with their reusable
 * {@link io.sparkprop.trainer.nn.Workspace}.
 */
package io.sparkprop.trainer.nn;
