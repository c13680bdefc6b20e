package io.mcprouter.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops Akka HTTP's "Response stream ... failed ... Aborting connection" error when the failure is
 * the router's own abort of a client that stopped reading: the session's log line already says why,
 * and an expected event must not read as an error (logback.xml installs this).
 */
public final class ExpectedAbortLogFilter extends TurboFilter {

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    // Akka logs it with the throwable, or (at WARN) as text only, quoting the request line, whose
    // path
    // may carry an access key's secret (/sse/<secret>)
    boolean expected =
        t instanceof SseEventQueue.Aborted
            || format != null && format.contains(SseEventQueue.Aborted.MESSAGE);
    return expected ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
