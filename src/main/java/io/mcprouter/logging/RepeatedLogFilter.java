package io.mcprouter.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Marker;

/**
 * Lets the same warning or error (same logger, same message template) through at most {@code
 * maxPerInterval} times per {@code intervalMillis}, then says once that it is suppressing it and,
 * when the next interval begins, how many were suppressed. A fault that repeats thousands of times
 * a second (accept failing on an exhausted file-descriptor table logged about 22,000 stack traces a
 * second) must not fill the disk or hide everything else.
 */
public final class RepeatedLogFilter extends TurboFilter {

  private static final int MAX_TRACKED = 1000;
  private static final ThreadLocal<Boolean> REPORTING = ThreadLocal.withInitial(() -> false);

  private static final class Window {
    long startMillis;
    int seen;
    int suppressed;
  }

  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
  private int maxPerInterval = 20;
  private long intervalMillis = 10_000;

  public void setMaxPerInterval(int maxPerInterval) {
    this.maxPerInterval = maxPerInterval;
  }

  public void setIntervalMillis(long intervalMillis) {
    this.intervalMillis = intervalMillis;
  }

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null || !level.isGreaterOrEqual(Level.WARN) || format == null || REPORTING.get()) {
      return FilterReply.NEUTRAL;
    }
    if (windows.size() > MAX_TRACKED) {
      windows.clear(); // many distinct lines are not a storm of one
    }
    String key = logger.getName() + '\u0000' + format;
    Window window = windows.computeIfAbsent(key, k -> new Window());
    long now = System.currentTimeMillis();
    int reportSuppressed = 0;
    boolean startSuppressing = false;
    boolean deny = false;
    synchronized (window) {
      if (now - window.startMillis >= intervalMillis) {
        reportSuppressed = window.suppressed;
        window.startMillis = now;
        window.seen = 0;
        window.suppressed = 0;
      }
      window.seen++;
      if (window.seen > maxPerInterval) {
        window.suppressed++;
        startSuppressing = window.suppressed == 1;
        deny = true;
      }
    }
    if (reportSuppressed > 0) {
      report(
          logger,
          reportSuppressed
              + " repeats of this line were suppressed in the last "
              + intervalMillis
              + " ms: "
              + format);
    }
    if (startSuppressing) {
      report(
          logger,
          "this line repeated "
              + maxPerInterval
              + " times within "
              + intervalMillis
              + " ms; further repeats are counted, not logged, until the interval ends: "
              + format);
    }
    return deny ? FilterReply.DENY : FilterReply.NEUTRAL;
  }

  private static void report(Logger logger, String line) {
    REPORTING.set(true);
    try {
      logger.warn(line);
    } finally {
      REPORTING.set(false);
    }
  }
}
