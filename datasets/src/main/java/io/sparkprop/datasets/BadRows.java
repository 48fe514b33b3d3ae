package io.sparkprop.datasets;

/** What a reader does with a row that breaks a rule. */
public enum BadRows {
  /** Stop: the job fails before training with a message naming the file, line, value and rule. */
  FAIL,
  /** Skip the row and count it; the count is reported (see {@link ReadReport}). */
  DROP
}
