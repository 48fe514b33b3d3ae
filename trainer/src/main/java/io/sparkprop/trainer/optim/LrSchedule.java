package io.sparkprop.trainer.optim;

import java.io.Serializable;
import java.util.Locale;

/**
 * A learning-rate multiplier as a function of the 0-based step t. Immutable.
 *
 * <p>With {@code warmupSteps = W > 0}, steps t < W use the factor (t + 1) / W (linear warmup to
 * the base rate); the decay below then runs on s = t - W. Without warmup s = t.
 * <ul>
 *   <li>CONSTANT: 1
 *   <li>STEP: gamma^floor(s / stepSize)
 *   <li>EXPONENTIAL: gamma^(s / stepSize)
 *   <li>COSINE: minFactor + (1 - minFactor) * (1 + cos(pi * min(s, D) / D)) / 2, D = decaySteps
 * </ul>
 */
public final class LrSchedule implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Kind { CONSTANT, STEP, EXPONENTIAL, COSINE }

  private final Kind kind;
  private final long warmupSteps;
  private final long stepSize;
  private final double gamma;
  private final double minFactor;

  private LrSchedule(Kind kind, long warmupSteps, long stepSize, double gamma, double minFactor) {
    if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + warmupSteps);
    if (kind != Kind.CONSTANT && stepSize < 1) {
      throw new IllegalArgumentException(kind.name().toLowerCase(Locale.ROOT) + " schedule needs "
          + (kind == Kind.COSINE ? "decay steps" : "a step size") + " >= 1, got " + stepSize);
    }
    if ((kind == Kind.STEP || kind == Kind.EXPONENTIAL) && !(gamma > 0 && gamma <= 1)) {
      throw new IllegalArgumentException("decay factor gamma must be in (0, 1], got " + gamma);
    }
    if (kind == Kind.COSINE && !(minFactor >= 0 && minFactor <= 1)) {
      throw new IllegalArgumentException("cosine minimum factor must be in [0, 1], got " + minFactor);
    }
    this.kind = kind;
    this.warmupSteps = warmupSteps;
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.minFactor = minFactor;
  }

  public static LrSchedule constant() {
    return new LrSchedule(Kind.CONSTANT, 0, 0, 1, 0);
  }

  /** Multiply by gamma every stepSize steps. */
  public static LrSchedule step(long stepSize, double gamma) {
    return new LrSchedule(Kind.STEP, 0, stepSize, gamma, 0);
  }

  /** Smooth decay by gamma per stepSize steps. */
  public static LrSchedule exponential(long stepSize, double gamma) {
    return new LrSchedule(Kind.EXPONENTIAL, 0, stepSize, gamma, 0);
  }

  /** Half a cosine from 1 down to minFactor over decaySteps, then flat. */
  public static LrSchedule cosine(long decaySteps, double minFactor) {
    return new LrSchedule(Kind.COSINE, 0, decaySteps, 1, minFactor);
  }

  /** This schedule preceded by linear warmup over {@code steps} steps. */
  public LrSchedule withWarmup(long steps) {
    return new LrSchedule(kind, steps, stepSize, gamma, minFactor);
  }

  public Kind kind() { return kind; }
  public long warmupSteps() { return warmupSteps; }
  /** STEP/EXPONENTIAL: steps per decay by gamma; COSINE: decay length. */
  public long stepSize() { return stepSize; }
  public double gamma() { return gamma; }
  public double minFactor() { return minFactor; }

  /** The multiplier of the base learning rate at 0-based step t. */
  public double factor(long t) {
    if (t < 0) throw new IllegalArgumentException("step must be >= 0, got " + t);
    if (t < warmupSteps) {
      return (t + 1) / (double) warmupSteps;
    }
    long s = t - warmupSteps;
    switch (kind) {
      case CONSTANT: return 1;
      case STEP: return Math.pow(gamma, s / stepSize);
      case EXPONENTIAL: return Math.pow(gamma, s / (double) stepSize);
      case COSINE: {
        double progress = Math.min(s, stepSize) / (double) stepSize;
        return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
      }
      default: throw new AssertionError(kind);
    }
  }

  @Override
  public String toString() {
    String w = warmupSteps > 0 ? " after " + warmupSteps + " warmup steps" : "";
    switch (kind) {
      case CONSTANT: return "constant" + w;
      case STEP: return "step(every " + stepSize + ", gamma " + gamma + ")" + w;
      case EXPONENTIAL: return "exponential(per " + stepSize + ", gamma " + gamma + ")" + w;
      default: return "cosine(" + stepSize + " steps, min " + minFactor + ")" + w;
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LrSchedule)) return false;
    LrSchedule s = (LrSchedule) o;
    return kind == s.kind && warmupSteps == s.warmupSteps && stepSize == s.stepSize && gamma == s.gamma
        && minFactor == s.minFactor;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(kind, warmupSteps, stepSize, gamma, minFactor);
  }
}
