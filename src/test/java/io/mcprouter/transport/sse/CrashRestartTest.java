package io.mcprouter.transport.sse;

import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A crashed shared child is replaced and its sessions go on; a crash loop marks the key failed. */
class CrashRestartTest {

  /**
   * Answers initialize (id 1 only, so a replayed initialize goes unanswered) and exits: every start
   * crashes.
   */
  private static final String CRASHES_AFTER_INIT =
      "read line; echo '{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
          + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"serverInfo\":{\"name\":\"crashy\",\"version\":\"1\"}}}'; "
          + "echo 'dying' >&2; exit 3";

  private static TestRouter router;
  private static final HttpClient http = SseTestClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("phoenix", true),
                // a shell that answers its first line as an initialize: not asked its era
                new ServerSpec(
                        "looping",
                        CRASHES_AFTER_INIT,
                        true,
                        Map.of(),
                        Optional.empty(),
                        Optional.empty())
                    .withProtocol(ServerSpec.ChildProtocol.LEGACY),
                new ServerSpec(
                    "dies-at-once",
                    "echo boom >&2; exit 5",
                    true,
                    Map.of(),
                    Optional.empty(),
                    Optional.empty())),
            "mcprouter.restart { min-backoff = 100ms, max-backoff = 400ms, max-crashes = 3, crash-window = 30s }");
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static String text(JsonNode response) {
    return response.path("result").path("content").path(0).path("text").asText();
  }

  @Test
  void sessionsSurviveACrashOfTheirSharedChild() throws Exception {
    try (SseTestClient a = SseTestClient.connect(http, router.proxyPort(), "phoenix");
        SseTestClient b = SseTestClient.connect(http, router.proxyPort(), "phoenix")) {
      a.initialize(1, null);
      b.initialize(1, null);
      long pid = Long.parseLong(text(a.call(2, "tools/call", toolCall("pid", Map.of()))));
      a.send(SseTestClient.request(3, "tools/call", toolCall("sleep", Map.of("ms", 30_000))));
      b.send(SseTestClient.request(3, "tools/call", toolCall("crash", Map.of("code", 9))));
      JsonNode failedA = a.awaitMessage(m -> m.path("id").asInt() == 3, Duration.ofSeconds(5));
      JsonNode failedB = b.awaitMessage(m -> m.path("id").asInt() == 3, Duration.ofSeconds(5));
      assertTrue(
          failedA.path("error").path("message").asText().contains("exited with code 9"),
          failedA.toString());
      assertEquals(-32000, failedB.path("error").path("code").asInt());
      // B's crash is not A's business: the child's stderr stays in the operator's log
      // (expose_stderr is off)
      assertFalse(failedA.path("error").path("data").has("stderr"), failedA.toString());

      // the same sessions, on the same streams, are served by a new child that was initialized for
      // them
      JsonNode echo = a.call(4, "tools/call", toolCall("echo", Map.of("text", "after the crash")));
      assertEquals("after the crash", text(echo));
      assertEquals(
          "b too", text(b.call(4, "tools/call", toolCall("echo", Map.of("text", "b too")))));
      long newPid = Long.parseLong(text(a.call(5, "tools/call", toolCall("pid", Map.of()))));
      assertNotEquals(pid, newPid);
      JsonNode stats =
          SseTestClient.JSON.readTree(text(b.call(6, "tools/call", toolCall("stats", Map.of()))));
      assertEquals(
          1, stats.path("initialize").asInt(), "the router replayed one initialize: " + stats);
      assertEquals(1, stats.path("initialized").asInt(), stats.toString());
      assertTrue(!Processes.alive(pid));
      HttpResponse<String> running =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + router.proxyPort() + "/admin/list-running-servers"))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode entry =
          SseTestClient.JSON.readTree(running.body()).path("data").path("servers").get(0);
      assertEquals(1, entry.path("restarts").asInt(), running.body());
      assertEquals(2, entry.path("sessions").asInt(), running.body());
    }
  }

  @Test
  void aCrashLoopMarksTheKeyFailedUntilAnOperatorStopsIt() throws Exception {
    long began;
    try (SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "looping")) {
      began = System.nanoTime();
      // initialize only: a notification sent after it may already meet the crash loop (503)
      client.call(
          1,
          "initialize",
          SseTestClient.JSON.createObjectNode().put("protocolVersion", "2024-11-05"));
      client.ended().get(30, TimeUnit.SECONDS); // after the crash loop the session is closed
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    assertTrue(
        tookMs >= 100 + 200 + 400 - 50,
        "the restarts backed off (100, 200, 400 ms): took " + tookMs + " ms");
    String base = "http://127.0.0.1:" + router.proxyPort();
    HttpResponse<String> refused =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/sse/looping")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(503, refused.statusCode());
    assertTrue(refused.body().contains("crash-looping"), refused.body());
    // stderr is the operator's (the log), not any client's, unless the key sets expose_stderr
    // (issue 12)
    assertFalse(
        refused.body().contains("dying"), "no stderr lines in the error: " + refused.body());
    HttpResponse<String> listed =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/admin/list-running-servers")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertTrue(listed.body().contains("\"failed\""), listed.body());
    HttpResponse<String> stopped =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/admin/stop-server"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"server_key\":\"looping\",\"force\":true}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, stopped.statusCode(), stopped.body());
    Await.until(
        Duration.ofSeconds(5),
        "the key is accepted again",
        () -> {
          try (SseTestClient again = SseTestClient.connect(http, router.proxyPort(), "looping")) {
            return again.sessionId().length() == 32;
          } catch (Exception | AssertionError e) {
            return false;
          }
        });
  }

  @Test
  void childrenThatDieWithoutSessionsToRestartThemAreACrashLoopToo() throws Exception {
    HttpRequest call =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.apiPort() + "/v1/call-tool"))
            .header("Authorization", "Bearer dies-at-once")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"echo\",\"arguments\":{}}"))
            .build();
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> failed = http.send(call, HttpResponse.BodyHandlers.ofString());
      assertEquals(502, failed.statusCode(), failed.body());
      assertTrue(failed.body().contains("exited with code 5"), failed.body());
    }
    HttpResponse<String> barred = http.send(call, HttpResponse.BodyHandlers.ofString());
    assertEquals(502, barred.statusCode(), barred.body());
    assertTrue(barred.body().contains("crash-looping"), barred.body());
    // the child's stderr is for the operator's log unless the key sets expose_stderr (issue 12)
    assertFalse(barred.body().contains("boom"), "without the last stderr lines: " + barred.body());
  }
}
