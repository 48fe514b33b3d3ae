package io.sparkprop.driver.registry;

/**
 * A job held the registry's lock, stalled past the timeout and was superseded by another: it
 * stops before changing anything (exit code 2, like a registry locked by a live job).
 */
public final class RegistryLockLostException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public RegistryLockLostException(String message) {
    super(message);
  }
}
