package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void backoffDoublesUpToTheMaximumWithBoundedJitter() {
    RestartPolicy policy =
        new RestartPolicy(
            Duration.ofMillis(100), Duration.ofMillis(500), 0.2, 10, Duration.ofSeconds(60));
    long[] lower = {100, 200, 400, 500, 500};
    for (int i = 0; i < lower.length; i++) {
      RestartPolicy.Decision decision = policy.crashed(i * SECOND);
      assertFalse(decision.crashLoop());
      long ms = decision.backoff().toMillis();
      assertTrue(
          ms >= lower[i] && ms <= Math.min(500, (long) (lower[i] * 1.2)),
          "crash " + (i + 1) + ": " + ms + " ms");
    }
  }

  @Test
  void moreCrashesThanAllowedWithinTheWindowIsACrashLoop() {
    RestartPolicy policy =
        new RestartPolicy(
            Duration.ofMillis(10), Duration.ofMillis(10), 0, 2, Duration.ofSeconds(10));
    assertFalse(policy.crashed(0).crashLoop());
    assertFalse(policy.crashed(SECOND).crashLoop());
    RestartPolicy.Decision third = policy.crashed(2 * SECOND);
    assertTrue(third.crashLoop());
    assertEquals(3, third.crashesInWindow());
  }

  @Test
  void crashesOutsideTheWindowAreForgotten() {
    RestartPolicy policy =
        new RestartPolicy(
            Duration.ofMillis(10), Duration.ofMillis(10), 0, 2, Duration.ofSeconds(10));
    policy.crashed(0);
    policy.crashed(SECOND);
    RestartPolicy.Decision later = policy.crashed(30 * SECOND);
    assertFalse(later.crashLoop());
    assertEquals(1, later.crashesInWindow());
  }
}
