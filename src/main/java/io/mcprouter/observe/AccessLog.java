package io.mcprouter.observe;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per refused HTTP request (a 4xx answer: unknown key or session, bad input, Origin, auth)
 * to the logger {@code mcprouter.access}, with the reason and never the credential, the path beyond
 * its first segment (it may be a secret) or more of a session id than its prefix. A token bucket
 * per reason bounds the lines a flood can write: {@code perSecond} a second, bursts of as many;
 * what it drops is counted in the next line that passes.
 */
public final class AccessLog {

  static final String LOGGER = "mcprouter.access";

  private final Logger log;
  private final double perSecond;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  AccessLog(Logger log, int perSecond, LongSupplier clock) {
    this.log = log;
    this.perSecond = perSecond;
    this.clock = clock;
  }

  static AccessLog of(int perSecond) {
    return new AccessLog(LoggerFactory.getLogger(LOGGER), perSecond, System::nanoTime);
  }

  /**
   * {@code reason}: a fixed phrase (at most 40 distinct ones: each has its bucket); {@code route}:
   * the path's first segment; {@code peer}: the TCP peer's address.
   */
  public void refused(int status, String reason, String method, String route, String peer) {
    if (!log.isInfoEnabled()) {
      return;
    }
    Bucket bucket = buckets.get(reason);
    if (bucket == null) {
      bucket = buckets.size() < 40 ? buckets.computeIfAbsent(reason, r -> new Bucket()) : null;
      if (bucket == null) {
        bucket = buckets.computeIfAbsent("other", r -> new Bucket());
      }
    }
    long dropped = bucket.take(clock.getAsLong(), perSecond);
    if (dropped < 0) {
      return;
    }
    log.atInfo()
        .addKeyValue("status", status)
        .addKeyValue("reason", reason)
        .addKeyValue("method", method)
        .addKeyValue("route", route)
        .addKeyValue("peer", peer)
        .addKeyValue("dropped_before", dropped)
        .log("refused {} {} /{}: {}", status, method, route, reason);
  }

  /** A token bucket: {@code perSecond} tokens a second, as many at most. */
  private static final class Bucket {
    private double tokens = -1;
    private long lastNanos;
    private long dropped;

    /** The lines dropped since the last that passed, or -1 when this one is dropped too. */
    synchronized long take(long now, double perSecond) {
      if (tokens < 0) {
        tokens = perSecond;
        lastNanos = now;
      }
      tokens = Math.min(perSecond, tokens + (now - lastNanos) / 1e9 * perSecond);
      lastNanos = now;
      if (tokens < 1) {
        dropped++;
        return -1;
      }
      tokens -= 1;
      long before = dropped;
      dropped = 0;
      return before;
    }
  }
}
