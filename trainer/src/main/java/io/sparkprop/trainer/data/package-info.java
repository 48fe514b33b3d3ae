/** The packed, validated block of examples the engine trains on (one per Spark partition). */
package io.sparkprop.trainer.data;
