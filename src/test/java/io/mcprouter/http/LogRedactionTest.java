package io.mcprouter.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/**
 * What reaches the log about a request whose path may hold an access key's secret (/mcp/<secret>).
 */
class LogRedactionTest {

  @Test
  void aRefusedRequestIsLoggedByItsFirstPathSegmentOnly() {
    assertEquals("/mcp/...", RequestGuard.firstSegment("/mcp/s3cret-0123456789abcdef"));
    assertEquals("/sse/...", RequestGuard.firstSegment("/sse/s3cret-0123456789abcdef/fetch"));
    assertEquals("/health", RequestGuard.firstSegment("/health"));
  }

  @Test
  void akkasTextOnlyWarningAboutAnAbortedStreamIsDropped() {
    // as Akka HTTP writes it at WARN: no throwable, the request line quoted
    String line =
        "Response stream for [GET /sse/s3cret-0123456789abcdef] failed with 'SSE stream aborted: its client was"
            + " not reading'. Aborting connection.";
    var logger = new LoggerContext().getLogger("akka.actor.ActorSystemImpl");
    assertEquals(
        FilterReply.DENY,
        new ExpectedAbortLogFilter().decide(null, logger, Level.WARN, line, null, null));
    assertEquals(
        FilterReply.NEUTRAL,
        new ExpectedAbortLogFilter()
            .decide(
                null,
                logger,
                Level.WARN,
                "Response stream for [GET /sse/fetch] failed with 'boom'",
                null,
                null));
  }
}
