package io.sparkprop.driver.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkprop.trainer.TrainingSpec;
import io.sparkprop.trainer.optim.Optimizer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The driver's warm-up ({@link DriverWarmup}) runs the driver's step on its own arrays and stops when told. */
class DriverWarmupTest {
  @Test
  void runsTheDriversStep_andStopsWhenTold() {
    for (Optimizer o : new Optimizer[] {Optimizer.adam(0.01), Optimizer.sgd(0.1), Optimizer.of(Optimizer.Kind.LAMB, 0.01)}) {
      TrainingSpec spec = FusedStepsTest.SPEC.withOptimizer(o);
      assertEquals(7, DriverWarmup.run(spec, 7, () -> false), o.kind().toString());
    }
    AtomicInteger asked = new AtomicInteger();
    assertEquals(3, DriverWarmup.run(FusedStepsTest.SPEC, 100, () -> asked.incrementAndGet() > 3), "stops at the first check that says so");
  }
}
