package io.mcprouter.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;

/** Polls a condition until it holds or a deadline passes: for OS-level facts such as "pid gone". */
public final class Await {
  private Await() {}

  public static void until(Duration timeout, String what, BooleanSupplier condition)
      throws InterruptedException {
    until(timeout, () -> what, condition);
  }

  /** As above, with the failure message built when it is needed (it may describe what was seen). */
  public static void until(Duration timeout, Supplier<String> what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        Assertions.fail("not true within " + timeout + ": " + what.get());
      }
      Thread.onSpinWait();
      Thread.sleep(20); // polling interval of a deadline-bounded wait, not a synchronisation sleep
    }
  }
}
