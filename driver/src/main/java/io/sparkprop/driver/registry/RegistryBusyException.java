package io.sparkprop.driver.registry;

/** Another live job holds the registry's lock (bad timing, not a bug: exit code 2). */
public final class RegistryBusyException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public RegistryBusyException(String message) {
    super(message);
  }
}
