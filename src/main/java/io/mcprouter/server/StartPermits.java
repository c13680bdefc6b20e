package io.mcprouter.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-session children of one key being started at once ({@code
 * mcprouter.limits.max-starting-children-per-key}). Starting a child is the expensive step (an
 * {@code npx} server costs tens of MiB and seconds of CPU before it answers initialize), so a burst
 * of new sessions must not become a burst of processes. Shared by the registry (which takes a
 * permit for a Streamable session, opened with its initialize) and the server actors (which take
 * one when a legacy session's first request arrives and give every permit back when the child has
 * answered initialize or is gone); a counter rather than a round trip through the registry, so the
 * first request is not held up behind every other key's traffic.
 */
public final class StartPermits {

  private final int perKey;
  private final ConcurrentHashMap<String, AtomicInteger> starting = new ConcurrentHashMap<>();

  public StartPermits(int perKey) {
    this.perKey = perKey;
  }

  /** No bound: for servers tested on their own. */
  public static StartPermits unlimited() {
    return new StartPermits(Integer.MAX_VALUE);
  }

  boolean tryAcquire(String key) {
    AtomicInteger count = starting.computeIfAbsent(key, k -> new AtomicInteger());
    while (true) {
      int now = count.get();
      if (now >= perKey) {
        return false;
      }
      if (count.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void release(String key) {
    AtomicInteger count = starting.get(key);
    if (count != null) {
      count.updateAndGet(n -> Math.max(0, n - 1));
    }
  }

  String refusal(String key) {
    return "limit reached: "
        + perKey
        + " children of server '"
        + key
        + "' starting at once, the maximum";
  }
}
