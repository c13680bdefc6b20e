package io.mcprouter.server;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When to start a crashed child again: exponential backoff with jitter, and a crash loop (more than
 * {@code maxCrashes} within {@code window}) ends the retries. Pure, so it is tested without Akka.
 */
public final class RestartPolicy {

  /** {@code crashLoop}: give up; otherwise wait {@code backoff} and start the child again. */
  record Decision(boolean crashLoop, Duration backoff, int crashesInWindow) {}

  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final double randomFactor;
  private final int maxCrashes;
  private final Duration window;
  private final ArrayDeque<Long> crashes = new ArrayDeque<>();

  RestartPolicy(
      Duration minBackoff,
      Duration maxBackoff,
      double randomFactor,
      int maxCrashes,
      Duration window) {
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
    this.randomFactor = randomFactor;
    this.maxCrashes = maxCrashes;
    this.window = window;
  }

  Decision crashed(long nowNanos) {
    crashes.addLast(nowNanos);
    while (!crashes.isEmpty() && nowNanos - crashes.getFirst() > window.toNanos()) {
      crashes.removeFirst();
    }
    int recent = crashes.size();
    if (recent > maxCrashes) {
      return new Decision(true, Duration.ZERO, recent);
    }
    double exponential = minBackoff.toNanos() * Math.pow(2, recent - 1);
    double capped = Math.min(exponential, maxBackoff.toNanos());
    double jitter = 1 + ThreadLocalRandom.current().nextDouble() * randomFactor;
    return new Decision(
        false, Duration.ofNanos((long) Math.min(capped * jitter, maxBackoff.toNanos())), recent);
  }

  Duration window() {
    return window;
  }
}
