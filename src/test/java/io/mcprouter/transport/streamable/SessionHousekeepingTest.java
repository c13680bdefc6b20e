package io.mcprouter.transport.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.Scrape;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Sessions nobody uses do not hold the limits, and sessions their clients abandoned end (issue 11,
 * items 6 and 8).
 */
class SessionHousekeepingTest {

  @Test
  void aBurstOfInitializeOnlySessionsDoesNotLockOutARealClient() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("k", true)),
            "mcprouter.limits.max-sessions-per-key = 5")) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      for (int i = 0; i < 30; i++) {
        HttpResponse<String> init = mcp.initializeOnly("k");
        assertEquals(200, init.statusCode(), "initialize " + i + ": " + init.body());
      }
      String real = mcp.openSession("k");
      assertEquals(
          "still served",
          McpHttp.text(mcp.call("k", real, 2, "echo", Map.of("text", "still served"))));
      // the burst goes on: sessions that never completed the handshake are evicted before the real
      // one
      for (int i = 0; i < 10; i++) {
        assertEquals(200, mcp.initializeOnly("k").statusCode());
      }
      assertEquals(
          "and again", McpHttp.text(mcp.call("k", real, 3, "echo", Map.of("text", "and again"))));
      List<String> listed = mcp.clients("k");
      assertTrue(listed.size() <= 5, "the limit still holds: " + listed);
      assertTrue(listed.contains(McpHttp.prefix(real)), listed.toString());
      // 40 sessions that never completed the handshake and 1 real one, at most 5 at a time
      Scrape.awaitSample(
          SseTestClient.newHttpClient(),
          router.proxyPort(),
          Duration.ofSeconds(10),
          n -> n >= 36,
          "mcprouter_sessions_ended_total",
          "key=\"k\"");
      String metrics = Scrape.metrics(SseTestClient.newHttpClient(), router.proxyPort());
      assertTrue(
          Scrape.sample(metrics, "mcprouter_sessions_ended_total", "key=\"k\"", "reason=\"limit\"")
              >= 1,
          "evicted at the limit: " + metrics);
      assertEquals(
          0,
          Scrape.sample(
              metrics, "mcprouter_sessions_ended_total", "key=\"k\"", "reason=\"vanished\""),
          "an evicted session is not one whose client went away: " + metrics);
    }
  }

  @Test
  void sessionsThatDoNotCompleteTheHandshakeAreClosedOnBothTransports() throws Exception {
    // long enough for the real clients' handshakes on a loaded machine; the silent ones never start
    // theirs
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("k", true)),
            "mcprouter.session.handshake-timeout = 4s")) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      SseTestClient legacyReal =
          SseTestClient.connect(SseTestClient.newHttpClient(), router.proxyPort(), "k");
      legacyReal.initialize(1, null);
      String real = mcp.openSession("k");
      SseTestClient legacySilent =
          SseTestClient.connect(SseTestClient.newHttpClient(), router.proxyPort(), "k");
      Set<String> silent = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        silent.add(mcp.initializeOnly("k").headers().firstValue("Mcp-Session-Id").orElseThrow());
      }
      silent.add(legacySilent.sessionId());
      Await.until(
          Duration.ofSeconds(30),
          () -> "only the sessions that completed the handshake are left: " + clients(mcp, "k"),
          () ->
              Set.copyOf(clients(mcp, "k"))
                  .equals(Set.of(McpHttp.prefix(real), McpHttp.prefix(legacyReal.sessionId()))));
      legacySilent.ended().get(5, TimeUnit.SECONDS); // its stream was closed, not just forgotten
      assertEquals(
          404,
          mcp.send(mcp.post("k", silent.iterator().next(), SseTestClient.request(9, "ping", null)))
              .statusCode());
      assertEquals(
          200, mcp.send(mcp.post("k", real, SseTestClient.request(9, "ping", null))).statusCode());
      legacyReal.close();
      legacySilent.close();
    }
  }

  @Test
  void theDetachedTimeoutEndsASessionWhoseGetStreamClosedAndStopsItsChild() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("solo", false)),
            "mcprouter.streamable.detached-timeout = 1s")) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      String neverListened = mcp.openSession("solo");
      long neverListenedPid =
          Long.parseLong(McpHttp.text(mcp.call("solo", neverListened, 2, "pid", Map.of())));
      String abandoned = mcp.openSession("solo");
      long abandonedPid =
          Long.parseLong(McpHttp.text(mcp.call("solo", abandoned, 2, "pid", Map.of())));
      HttpResponse<InputStream> get = mcp.openGetStream("solo", abandoned);
      get.body()
          .close(); // the client closes without DELETE; the router sees it at its next keep-alive
      // write
      Await.until(
          Duration.ofSeconds(20),
          "the abandoned session's child stopped",
          () -> !Processes.alive(abandonedPid));
      assertFalse(clients(mcp, "solo").contains(McpHttp.prefix(abandoned)));
      assertEquals(
          404,
          mcp.send(mcp.post("solo", abandoned, SseTestClient.request(3, "ping", null)))
              .statusCode());
      // unconnected for longer than the abandoned one, but it never held a GET stream: the idle
      // timeout applies
      assertTrue(clients(mcp, "solo").contains(McpHttp.prefix(neverListened)));
      assertTrue(Processes.alive(neverListenedPid));
      assertEquals(
          "kept", McpHttp.text(mcp.call("solo", neverListened, 3, "echo", Map.of("text", "kept"))));
    }
  }

  @Test
  void aGetStreamThatComesBackInTimeKeepsTheSession() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("k", true)),
            "mcprouter.streamable.detached-timeout = 3s")) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      String sessionId = mcp.openSession("k");
      mcp.openGetStream("k", sessionId).body().close();
      try (InputStream again = mcp.openGetStream("k", sessionId).body()) {
        String other = mcp.openSession("k");
        mcp.openGetStream("k", other).body().close();
        Await.until(
            Duration.ofSeconds(20),
            "the other session, whose stream stayed closed, ended",
            () -> !clients(mcp, "k").contains(McpHttp.prefix(other)));
        assertTrue(
            clients(mcp, "k").contains(McpHttp.prefix(sessionId)),
            "the reconnected session is kept");
      }
    }
  }

  private static List<String> clients(McpHttp mcp, String key) {
    try {
      return mcp.clients(key);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
