package io.sparkprop.trainer.nn;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.Locale;

/**
 * Chooses the BLAS implementation, once per JVM.
 *
 * <p>The system property {@code sparkprop.blas} selects it: {@code auto} (default: native
 * OpenBLAS through JNI when a system BLAS is installed, else the JDK-vector implementation when
 * the JVM has {@code --add-modules=jdk.incubator.vector}, else pure Java), {@code native} (fail if
 * no native BLAS loads) or {@code java} (never native). OpenBLAS's own thread count comes from the
 * environment variable {@code OPENBLAS_NUM_THREADS}; Sparkprop's launchers set it to 1 because
 * Spark already runs one task per core.
 */
public final class Blas {
  /** The system property naming the implementation. */
  public static final String PROPERTY = "sparkprop.blas";

  private static volatile BLAS instance;

  private Blas() {}

  /** The chosen implementation. */
  public static BLAS get() {
    BLAS b = instance;
    if (b == null) {
      synchronized (Blas.class) {
        if (instance == null) {
          instance = choose(System.getProperty(PROPERTY, "auto"));
        }
        b = instance;
      }
    }
    return b;
  }

  static BLAS choose(String mode) {
    switch (mode.trim().toLowerCase(Locale.ROOT)) {
      case "auto": return BLAS.getInstance();
      case "native":
        try {
          return NativeBLAS.getInstance();
        } catch (RuntimeException | LinkageError e) {
          throw new IllegalStateException("-D" + PROPERTY + "=native but no native BLAS could be loaded ("
              + e + "); install OpenBLAS (Debian: apt-get install libopenblas0-pthread) or use "
              + PROPERTY + "=auto", e);
        }
      case "java": return JavaBLAS.getInstance();
      default:
        throw new IllegalArgumentException("-D" + PROPERTY + "=" + mode + " is not one of auto, native, java");
    }
  }

  /** The implementation's class name, e.g. JNIBLAS, VectorBLAS, Java11BLAS. */
  public static String describe() {
    return get().getClass().getSimpleName();
  }
}
