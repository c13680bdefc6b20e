package io.mcprouter.transport.sse;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The legacy HTTP+SSE transport end to end: real router, real HTTP on loopback, real child
 * processes.
 */
class LegacySseTransportTest {

  private static TestRouter router;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("shared", true),
                // opts in to stderr in client errors (expose_stderr; issue 12: off by default)
                TestRouter.fake("crashy", true)
                    .withIsolation(ServerSpec.Interactive.ATTRIBUTE, List.of(), true),
                TestRouter.fake("dedicated", false),
                TestRouter.fake("banner", true, "--banner-garbage")));
    http = SseTestClient.newHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private SseTestClient connect(String key) throws Exception {
    return SseTestClient.connect(http, router.proxyPort(), key);
  }

  private static String text(JsonNode response) {
    return response.path("result").path("content").path(0).path("text").asText();
  }

  @Test
  void firstEventIsTheEndpointWithARandomSessionIdAndMessagesCarryAnswers() throws Exception {
    try (SseTestClient a = connect("shared");
        SseTestClient b = connect("shared")) {
      assertTrue(a.endpoint().matches("/messages\\?sessionid=[0-9a-f]{32}"), a.endpoint());
      assertNotEquals(a.sessionId(), b.sessionId());
      assertFalse(a.sessionId().contains("shared"));
      JsonNode init = a.initialize(1, null);
      assertEquals("fake-mcp", init.path("result").path("serverInfo").path("name").asText());
      JsonNode tools = a.call(2, "tools/list", null);
      assertTrue(tools.path("result").path("tools").size() > 5);
      assertEquals(
          "héllo", text(a.call(3, "tools/call", toolCall("echo", Map.of("text", "héllo")))));
    }
  }

  @Test
  void anIdleStreamGetsKeepAliveCommentsNotEmptyEvents() throws Exception {
    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.proxyPort() + "/sse/shared"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    try (var reader = new BufferedReader(new InputStreamReader(response.body()))) {
      assertTrue(reader.readLine().startsWith("event: endpoint"));
      List<String> lines = new ArrayList<>();
      while (lines.stream().filter(l -> l.startsWith(":")).count() < 2) {
        lines.add(reader.readLine()); // the test router sends a keep-alive every 500 ms
      }
      assertTrue(
          lines.stream().noneMatch(l -> l.equals("data:") || l.equals("data: ")), lines.toString());
    }
  }

  @Test
  void unknownKeyIs404NamingTheKey() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.proxyPort() + "/sse/nope"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, response.statusCode());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    assertTrue(response.body().contains("'nope'"), response.body());
    HttpResponse<String> posted =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.proxyPort() + "/sse/nope"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, posted.statusCode(), posted.body());
    assertTrue(posted.body().contains("unknown server key 'nope'"), posted.body());
  }

  @Test
  void badPostsGetClearJsonRpcErrors() throws Exception {
    try (SseTestClient client = connect("shared")) {
      assertError(client.postRaw("{not json"), 400, -32700);
      assertError(client.postRaw("{\"jsonrpc\":\"2.0\",\"foo\":1}"), 400, -32600);
      assertError(
          client.postRaw("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]"), 400, -32600);
      assertError(
          client.postRaw("{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"ping\"}"), 400, -32600);
      assertError(
          client.postRaw(
              "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\""
                  + "a".repeat(70_000)
                  + "\"}"),
          413,
          -32600);
      String base = "http://127.0.0.1:" + router.proxyPort();
      assertError(
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/messages?sessionid=0123"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString()),
          404,
          -32001);
      assertError(
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/messages"))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString()),
          400,
          -32600);
      assertError(
          http.send(
              HttpRequest.newBuilder(URI.create(base + client.endpoint()))
                  .header("Content-Type", "text/plain")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString()),
          415,
          -32600);
      // the session and the router are still fine after all that
      client.initialize(1, null);
      assertEquals(
          "still here",
          text(client.call(2, "tools/call", toolCall("echo", Map.of("text", "still here")))));
    }
  }

  private static void assertError(HttpResponse<String> response, int status, int code)
      throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    JsonNode body = JSON.readTree(response.body());
    assertEquals("2.0", body.path("jsonrpc").asText(), response.body());
    assertEquals(code, body.path("error").path("code").asInt(), response.body());
    assertFalse(body.path("error").path("message").asText().isEmpty());
  }

  @Test
  void twoClientsWithCollidingIdsOnOneSharedChildEachGetTheirOwnAnswers() throws Exception {
    try (SseTestClient a = connect("shared");
        SseTestClient b = connect("shared")) {
      a.initialize(1, null);
      b.initialize(1, null);
      // same ids in both sessions, answered out of order by the child
      a.send(
          SseTestClient.request(
              7, "tools/call", toolCall("sleep", Map.of("ms", 400, "text", "for A"))));
      b.send(
          SseTestClient.request(
              7, "tools/call", toolCall("sleep", Map.of("ms", 10, "text", "for B"))));
      b.send(
          SseTestClient.request("7", "tools/call", toolCall("echo", Map.of("text", "string id"))));
      JsonNode forB =
          b.awaitMessage(
              m -> m.path("id").isInt() && m.path("id").asInt() == 7, Duration.ofSeconds(10));
      JsonNode forBString = b.awaitMessage(m -> m.path("id").isTextual(), Duration.ofSeconds(10));
      JsonNode forA =
          a.awaitMessage(
              m -> m.path("id").isInt() && m.path("id").asInt() == 7, Duration.ofSeconds(10));
      assertEquals("for B", text(forB));
      assertEquals("string id", text(forBString));
      assertEquals("7", forBString.get("id").asText());
      assertEquals("for A", text(forA));
      assertEquals(
          text(a.call(8, "tools/call", toolCall("pid", Map.of()))),
          text(b.call(8, "tools/call", toolCall("pid", Map.of()))),
          "one child serves both sessions");
      // the cached initialize: the child saw one initialize and one initialized for both sessions
      JsonNode stats = JSON.readTree(text(a.call(9, "tools/call", toolCall("stats", Map.of()))));
      assertEquals(1, stats.get("initialize").asInt(), stats.toString());
      assertEquals(1, stats.get("initialized").asInt(), stats.toString());
      assertTrue(
          a.drain(Duration.ofMillis(100)).stream().noneMatch(m -> m.has("result")),
          "A got nothing of B's");
    }
  }

  @Test
  void twentyConcurrentClientsAllGetTheirOwnAnswers() throws Exception {
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int n = i;
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                try (SseTestClient client = connect("shared")) {
                  client.initialize(0, null);
                  for (int call = 1; call <= 5; call++) {
                    String expected = "client " + n + " call " + call;
                    assertEquals(
                        expected,
                        text(
                            client.call(
                                call, "tools/call", toolCall("echo", Map.of("text", expected)))));
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
  }

  @Test
  void aChildCrashingMidCallFailsTheCallWithinASecondNamingKeyAndExitCode() throws Exception {
    try (SseTestClient client = connect("crashy")) {
      client.initialize(1, null);
      client.send(SseTestClient.request(2, "tools/call", toolCall("sleep", Map.of("ms", 30_000))));
      long pid = Long.parseLong(text(client.call(3, "tools/call", toolCall("pid", Map.of()))));
      long crashedAt = System.nanoTime();
      client.send(SseTestClient.request(4, "tools/call", toolCall("crash", Map.of("code", 3))));
      JsonNode failed = client.awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(5));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt);
      assertTrue(tookMs < 1000, "error took " + tookMs + " ms");
      JsonNode error = failed.path("error");
      assertEquals(-32000, error.path("code").asInt(), failed.toString());
      assertTrue(error.path("message").asText().contains("'crashy'"), failed.toString());
      assertTrue(error.path("message").asText().contains("exited with code 3"), failed.toString());
      assertEquals(3, error.path("data").path("exitCode").asInt());
      assertTrue(
          error.path("data").path("stderr").toString().contains("crashing on request"),
          failed.toString());
      assertEquals(
          -32000,
          client
              .awaitMessage(m -> m.path("id").asInt() == 4, Duration.ofSeconds(5))
              .path("error")
              .path("code")
              .asInt());
      Await.until(Duration.ofSeconds(5), "crashed child gone", () -> !Processes.alive(pid));
      // the session survives: a new child serves it (CrashRestartTest covers the restart in depth)
      assertEquals(
          "back", text(client.call(5, "tools/call", toolCall("echo", Map.of("text", "back")))));
    }
    // and a per-session child's crash ends its session, whose stream the router completes
    try (SseTestClient alone = connect("dedicated")) {
      alone.initialize(1, null);
      alone.send(SseTestClient.request(2, "tools/call", toolCall("crash", Map.of("code", 4))));
      assertTrue(
          alone
              .awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(5))
              .path("error")
              .path("message")
              .asText()
              .contains("exited with code 4"));
      alone.ended().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void garbageOnStdoutIsSkipped() throws Exception {
    try (SseTestClient client = connect("banner")) {
      client.initialize(1, null);
      assertEquals(
          "after garbage", text(client.call(2, "tools/call", toolCall("garbage", Map.of()))));
    }
  }

  @Test
  void anOverlongAnswerIsAnErrorForThatRequestAndTheServerGoesOn() throws Exception {
    try (SseTestClient client = connect("shared")) {
      client.initialize(1, null);
      JsonNode tooBig = client.call(2, "tools/call", toolCall("big", Map.of("bytes", 200_000)));
      assertTrue(
          tooBig
              .path("error")
              .path("message")
              .asText()
              .contains("over the router's limit of 65536 bytes"),
          tooBig.toString());
      assertEquals(
          60_000,
          text(client.call(3, "tools/call", toolCall("big", Map.of("bytes", 60_000)))).length());
    }
  }

  @Test
  void progressReachesOnlyTheRequesterWithItsOwnToken() throws Exception {
    try (SseTestClient a = connect("shared");
        SseTestClient b = connect("shared")) {
      a.initialize(1, null);
      b.initialize(1, null);
      ObjectNode paramsA = toolCall("progress", Map.of("steps", 3, "ms", 5));
      paramsA.putObject("_meta").put("progressToken", "token-a");
      ObjectNode paramsB = toolCall("progress", Map.of("steps", 2, "ms", 5));
      paramsB.putObject("_meta").put("progressToken", 1);
      a.send(SseTestClient.request(2, "tools/call", paramsA));
      b.send(SseTestClient.request(2, "tools/call", paramsB));
      assertEquals(
          "done 3", text(a.awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(10))));
      assertEquals(
          "done 2", text(b.awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(10))));
      List<JsonNode> progressA =
          a.drain(Duration.ofMillis(100)).stream()
              .filter(m -> "notifications/progress".equals(m.path("method").asText()))
              .toList();
      List<JsonNode> progressB =
          b.drain(Duration.ofMillis(100)).stream()
              .filter(m -> "notifications/progress".equals(m.path("method").asText()))
              .toList();
      assertEquals(3, progressA.size(), progressA.toString());
      assertEquals(2, progressB.size(), progressB.toString());
      progressA.forEach(
          p -> assertEquals(JSON.valueToTree("token-a"), p.path("params").get("progressToken")));
      progressB.forEach(
          p -> assertEquals(JSON.valueToTree(1), p.path("params").get("progressToken")));
    }
  }

  @Test
  void samplingGoesToTheRequestingClientOnlyIfItDeclaredTheCapability() throws Exception {
    try (SseTestClient withSampling = connect("shared");
        SseTestClient without = connect("shared")) {
      withSampling.initialize(1, JSON.createObjectNode().set("sampling", JSON.createObjectNode()));
      without.initialize(1, null);
      withSampling.send(
          SseTestClient.request(2, "tools/call", toolCall("sample", Map.of("prompt", "hi"))));
      JsonNode ask =
          withSampling.awaitMessage(
              m -> "sampling/createMessage".equals(m.path("method").asText()),
              Duration.ofSeconds(10));
      ObjectNode reply = JSON.createObjectNode().put("jsonrpc", "2.0");
      reply.set("id", ask.get("id"));
      reply
          .putObject("result")
          .put("role", "assistant")
          .put("model", "test")
          .putObject("content")
          .put("type", "text")
          .put("text", "sampled!");
      withSampling.send(reply);
      assertEquals(
          "sampled!",
          text(withSampling.awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(10))));

      JsonNode refused = without.call(2, "tools/call", toolCall("sample", Map.of()));
      assertTrue(
          text(refused).contains("did not declare the 'sampling' capability"), refused.toString());
    }
  }

  @Test
  void listChangedNotificationsReachEverySession() throws Exception {
    try (SseTestClient a = connect("shared");
        SseTestClient b = connect("shared")) {
      a.initialize(1, null);
      b.initialize(1, null);
      assertEquals("notified", text(a.call(2, "tools/call", toolCall("notify", Map.of()))));
      b.awaitMessage(
          m -> "notifications/tools/list_changed".equals(m.path("method").asText()),
          Duration.ofSeconds(10));
      b.awaitMessage(
          m -> "notifications/message".equals(m.path("method").asText()), Duration.ofSeconds(10));
      a.awaitMessage(
          m -> "notifications/tools/list_changed".equals(m.path("method").asText()),
          Duration.ofSeconds(10));
    }
  }

  @Test
  void aPerSessionChildStopsWhenItsClientDisconnects() throws Exception {
    long pid;
    long grandchild;
    try (SseTestClient one = connect("dedicated");
        SseTestClient two = connect("dedicated")) {
      one.initialize(1, null);
      two.initialize(1, null);
      pid = Long.parseLong(text(one.call(2, "tools/call", toolCall("pid", Map.of()))));
      assertNotEquals(
          pid, Long.parseLong(text(two.call(2, "tools/call", toolCall("pid", Map.of())))));
      grandchild =
          Long.parseLong(text(one.call(3, "tools/call", toolCall("spawn_child", Map.of()))));
      assertTrue(ProcessHandle.of(grandchild).isPresent());
    }
    Await.until(
        Duration.ofSeconds(10),
        "child " + pid + " and grandchild " + grandchild + " gone",
        () -> !Processes.alive(pid) && !Processes.alive(grandchild));
  }
}
