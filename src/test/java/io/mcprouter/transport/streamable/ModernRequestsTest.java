package io.mcprouter.transport.streamable;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.ModernHttp;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.RawExchange;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MCP 2026-07-28 requests on {@code /mcp/{key}} end to end (issue 14, "Behaviour"): real HTTP on
 * loopback, real {@code FakeMcpServer} children. Each request stands alone (no initialize, no
 * session id) and is served next to legacy sessions on the same child. Listen and the guards are in
 * {@link ModernListenAndGuardsTest}.
 */
class ModernRequestsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestRouter router;
  private static ModernHttp modern;
  private static McpHttp legacy;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("shared", true),
                TestRouter.fake("crashy", true),
                TestRouter.fake("cancels", true),
                TestRouter.fake("solo", false).withSpareChildren(1)));
    modern = new ModernHttp(router.proxyPort());
    legacy = new McpHttp(router.proxyPort());
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  static Map<String, Object> args(Object... pairs) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put((String) pairs[i], pairs[i + 1]);
    }
    return map;
  }

  private static JsonNode call(String key, Object id, String tool, Map<String, Object> arguments)
      throws Exception {
    HttpResponse<String> response =
        modern.send(key, ModernHttp.toolCall(id, tool, arguments, Map.of()));
    assertEquals(200, response.statusCode(), response.body());
    return ModernHttp.answer(response);
  }

  /** The request ids the child has received notifications/cancelled for, as it received them. */
  private static List<JsonNode> cancelledAtChild(String key) throws Exception {
    JsonNode stats = JSON.readTree(ModernHttp.text(call(key, "stats", "stats", Map.of())));
    List<JsonNode> ids = new ArrayList<>();
    stats.path("cancelled").forEach(ids::add);
    return ids;
  }

  private static void awaitInFlight(String key, int count) throws InterruptedException {
    Await.until(
        WAIT, () -> "in flight at " + key + " = " + count, () -> modern.inFlight(key) == count);
  }

  // 1. legacy and modern clients on one shared child at once, with the same ids

  @Test
  void legacyAndModernClientsShareOneChildWithCollidingIds() throws Exception {
    String session = legacy.openSession("shared");
    for (int id = 101; id <= 103; id++) {
      CompletableFuture<HttpResponse<String>> old =
          modern
              .client()
              .sendAsync(
                  legacy
                      .post(
                          "shared",
                          session,
                          SseTestClient.request(
                              id,
                              "tools/call",
                              SseTestClient.toolCall(
                                  "sleep", args("ms", 300, "text", "legacy-" + id))))
                      .setHeader("Accept", "application/json")
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      CompletableFuture<HttpResponse<String>> now =
          modern.sendAsync(
              "shared",
              ModernHttp.toolCall(id, "sleep", args("ms", 300, "text", "modern-" + id), Map.of()));
      JsonNode oldAnswer = JSON.readTree(old.get(20, TimeUnit.SECONDS).body());
      JsonNode newAnswer = ModernHttp.answer(now.get(20, TimeUnit.SECONDS));
      assertEquals(id, oldAnswer.path("id").asInt(), oldAnswer.toString());
      assertEquals(id, newAnswer.path("id").asInt(), newAnswer.toString());
      assertEquals("legacy-" + id, ModernHttp.text(oldAnswer), oldAnswer.toString());
      assertEquals("modern-" + id, ModernHttp.text(newAnswer), newAnswer.toString());
      // each answer in its own era's shape
      assertEquals("complete", newAnswer.path("result").path("resultType").asText());
      assertFalse(oldAnswer.path("result").has("resultType"), oldAnswer.toString());
    }
    long legacyPid =
        Long.parseLong(McpHttp.text(legacy.call("shared", session, 9, "pid", Map.of())));
    long modernPid = Long.parseLong(ModernHttp.text(call("shared", 9, "pid", Map.of())));
    assertEquals(legacyPid, modernPid, "one child serves both eras");
    List<JsonNode> running = modern.running("shared");
    assertEquals(1, running.size(), running.toString());
    assertEquals(legacyPid, running.get(0).path("pid").asLong());
  }

  // 2. closing a modern request's stream cancels it at the child

  private static Map<String, String> modernHeaders(String tool) {
    return RawExchange.headers(
        "Content-Type", "application/json",
        "Accept", "application/json, text/event-stream",
        "MCP-Protocol-Version", ModernHttp.VERSION,
        "Mcp-Method", "tools/call",
        "Mcp-Name", tool);
  }

  private static JsonNode awaitNewCancellation(List<JsonNode> before) throws Exception {
    List<JsonNode> seen = new ArrayList<>();
    Await.until(
        WAIT,
        () -> "a new notifications/cancelled at the child; it has " + seen,
        () -> {
          try {
            seen.clear();
            seen.addAll(cancelledAtChild("cancels"));
            return seen.size() > before.size();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    assertEquals(before.size() + 1, seen.size(), "one cancellation: " + seen);
    return seen.get(seen.size() - 1);
  }

  @Test
  void closingAStreamingRequestCancelsItAtTheChild() throws Exception {
    List<JsonNode> before = cancelledAtChild("cancels");
    String body =
        ModernHttp.toolCall(
                "closed-stream",
                "progress",
                args("steps", 10_000, "ms", 50),
                Map.of("progressToken", "p-closed"))
            .toString();
    // the stream's head comes with the first progress; RawExchange then closes the connection
    RawExchange.Answer head =
        RawExchange.send(
            router.proxyPort(), "POST", "/mcp/cancels", modernHeaders("progress"), body);
    assertEquals(200, head.status());
    assertTrue(
        head.header("content-type").startsWith("text/event-stream"), head.headers().toString());
    JsonNode cancelled = awaitNewCancellation(before);
    // the router's id, never the client's
    assertNotEquals("closed-stream", cancelled.asText(), cancelled.toString());
  }

  @Test
  void closingTheConnectionOfAPendingJsonRequestCancelsItAtTheChild() throws Exception {
    List<JsonNode> before = cancelledAtChild("cancels");
    // a cancelled call stays in flight until the child answers it (the hang never does)
    int inFlight = modern.inFlight("cancels");
    byte[] body =
        ModernHttp.toolCall("closed-json", "hang", Map.of(), Map.of())
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder("POST /mcp/cancels HTTP/1.1\r\n");
    head.append("Host: 127.0.0.1:").append(router.proxyPort()).append("\r\n");
    modernHeaders("hang").forEach((n, v) -> head.append(n).append(": ").append(v).append("\r\n"));
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", router.proxyPort()), 10_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      awaitInFlight("cancels", inFlight + 1); // the hang has reached the child
    } // closed without reading: the client is gone
    JsonNode cancelled = awaitNewCancellation(before);
    assertNotEquals("closed-json", cancelled.asText(), cancelled.toString());
  }

  // 3. a request in flight when the child crashes gets an error at once

  @Test
  void aRequestInFlightWhenTheChildCrashesIsAnsweredAtOnce() throws Exception {
    CompletableFuture<HttpResponse<String>> slow =
        modern.sendAsync(
            "crashy", ModernHttp.toolCall("slow", "sleep", args("ms", 120_000), Map.of()));
    awaitInFlight("crashy", 1);
    long crashedAt = System.nanoTime();
    HttpResponse<String> crash =
        modern.send("crashy", ModernHttp.toolCall("boom", "crash", Map.of(), Map.of()));
    JsonNode crashAnswer = ModernHttp.answer(crash);
    assertEquals("boom", crashAnswer.path("id").asText(), crash.body());
    assertTrue(crashAnswer.has("error"), crash.body());
    // well before the request timeout (60 s): the crash itself ends the request
    HttpResponse<String> failed = slow.get(10, TimeUnit.SECONDS);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashedAt);
    JsonNode answer = ModernHttp.answer(failed);
    assertEquals("slow", answer.path("id").asText(), failed.body());
    assertEquals(
        JsonRpcError.SERVER_GONE, answer.path("error").path("code").asInt(), failed.body());
    assertTrue(tookMs < 5_000, "the error took " + tookMs + " ms");
  }

  // 4. a child's request for a capability the modern request did not declare

  @Test
  void aServerRequestForAnUndeclaredCapabilityFailsTheRequestAndIsAnsweredAtTheChild()
      throws Exception {
    awaitInFlight("shared", 0);
    assertMissingCapability("shared", "sample", "sampling");
    // the child got an error for its request and finished its call: nothing stays in flight
    // (were the child left waiting, the call would be held until the router's drain timeout)
    Await.until(
        Duration.ofMillis(ModernCall.DRAIN_TIMEOUT.toMillis() / 2),
        "the child finished its sample call",
        () -> modern.inFlight("shared") == 0);
    assertEquals(
        "still served", ModernHttp.text(call("shared", 5, "echo", args("text", "still served"))));
    // roots/list too, where it reaches the client: a shared key answers it from its own roots
    assertMissingCapability("solo", "roots", "roots");
  }

  private static void assertMissingCapability(String key, String tool, String capability)
      throws Exception {
    HttpResponse<String> refused =
        modern.send(key, ModernHttp.toolCall("ask-" + tool, tool, Map.of(), Map.of()));
    assertEquals(400, refused.statusCode(), refused.body());
    JsonNode error = ModernHttp.answer(refused);
    assertEquals("ask-" + tool, error.path("id").asText(), refused.body());
    assertEquals(
        JsonRpcError.MISSING_CLIENT_CAPABILITY,
        error.path("error").path("code").asInt(),
        refused.body());
    assertTrue(
        error.path("error").path("data").path("requiredCapabilities").path(capability).isObject(),
        refused.body());
  }

  // 5. log messages only when asked for, by level; progress only to its own request

  @Test
  void logMessagesReachOnlyARequestThatAskedForTheirLevel() throws Exception {
    HttpResponse<String> asked =
        modern.send(
            "shared",
            ModernHttp.toolCall(
                "log-info",
                "notify",
                Map.of(),
                Map.of("io.modelcontextprotocol/logLevel", "info")));
    List<JsonNode> messages = ModernHttp.messages(asked);
    assertEquals(2, messages.size(), asked.body());
    assertEquals("notifications/message", messages.get(0).path("method").asText(), asked.body());
    assertEquals("hello", messages.get(0).path("params").path("data").asText(), asked.body());
    assertEquals("notified", ModernHttp.text(messages.get(1)), asked.body());

    for (Map<String, Object> meta :
        List.<Map<String, Object>>of(
            Map.of("io.modelcontextprotocol/logLevel", "warning"), Map.of())) {
      HttpResponse<String> quiet =
          modern.send("shared", ModernHttp.toolCall("log-quiet", "notify", Map.of(), meta));
      assertEquals(200, quiet.statusCode(), quiet.body());
      assertEquals(
          "application/json",
          quiet.headers().firstValue("Content-Type").orElse(""),
          meta.toString());
      List<JsonNode> only = ModernHttp.messages(quiet);
      assertEquals(1, only.size(), quiet.body());
      assertEquals("notified", ModernHttp.text(only.get(0)), quiet.body());
    }
  }

  @Test
  void progressGoesOnlyToItsRequestWithItsOwnToken() throws Exception {
    CompletableFuture<HttpResponse<String>> three =
        modern.sendAsync(
            "shared",
            ModernHttp.toolCall(
                "three", "progress", args("steps", 3, "ms", 150), Map.of("progressToken", "same")));
    CompletableFuture<HttpResponse<String>> six =
        modern.sendAsync(
            "shared",
            ModernHttp.toolCall(
                "six", "progress", args("steps", 6, "ms", 100), Map.of("progressToken", "same")));
    for (Object[] expected : new Object[][] {{three, 3, "three"}, {six, 6, "six"}}) {
      @SuppressWarnings("unchecked")
      HttpResponse<String> response =
          ((CompletableFuture<HttpResponse<String>>) expected[0]).get(20, TimeUnit.SECONDS);
      int steps = (int) expected[1];
      List<JsonNode> messages = ModernHttp.messages(response);
      assertEquals(steps + 1, messages.size(), response.body());
      for (int i = 0; i < steps; i++) {
        JsonNode progress = messages.get(i);
        assertEquals("notifications/progress", progress.path("method").asText(), response.body());
        assertEquals(
            "same", progress.path("params").path("progressToken").asText(), response.body());
        assertEquals(steps, progress.path("params").path("total").asInt(), response.body());
        assertEquals(i + 1, progress.path("params").path("progress").asInt(), response.body());
      }
      JsonNode answer = messages.get(steps);
      assertEquals(expected[2], answer.path("id").asText(), response.body());
      assertEquals("done " + steps, ModernHttp.text(answer), response.body());
    }
  }

  // 8. a per-session key with spare children: a child per request, stopped after it

  @Test
  void aPerSessionKeyServesEachRequestWithAChildOfItsOwnTakenFromTheSpares() throws Exception {
    List<Long> pids = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      long spare = awaitOneSpare();
      long pid = Long.parseLong(ModernHttp.text(call("solo", round, "pid", Map.of())));
      assertEquals(spare, pid, "the request took the spare child");
      pids.add(pid);
      Await.until(WAIT, "the request's child " + pid + " stopped", () -> !Processes.alive(pid));
    }
    assertNotEquals(pids.get(0), pids.get(1), "each request has a child of its own");
    awaitOneSpare();
  }

  /** Waits until the key runs exactly its one spare (the request's child gone); its pid. */
  private static long awaitOneSpare() throws InterruptedException {
    List<JsonNode> seen = new ArrayList<>();
    Await.until(
        WAIT,
        () -> "one running child at solo: " + seen,
        () -> {
          try {
            seen.clear();
            seen.addAll(modern.running("solo"));
            return seen.size() == 1
                && seen.get(0).path("pid").asLong() > 0
                && seen.get(0).path("sessions").asInt() == 0;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    return seen.get(0).path("pid").asLong();
  }
}
