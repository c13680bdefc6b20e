package io.mcprouter.transport.streamable;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streamable HTTP on /mcp/{key}: session header rules, Origin checks, SSE answers, resumability,
 * DELETE.
 */
class StreamableHttpTest {

  private static TestRouter router;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("shared", true), TestRouter.fake("dedicated", false)));
    http = SseTestClient.newHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private record Event(String id, String data) {}

  /** One open SSE response, read on a thread into a queue. */
  private static final class Events implements AutoCloseable {
    final HttpResponse<Stream<String>> response;
    final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();

    Events(HttpResponse<Stream<String>> response) {
      this.response = response;
      Thread reader =
          new Thread(
              () -> {
                String id = null;
                StringBuilder data = new StringBuilder();
                try {
                  for (String line : (Iterable<String>) response.body()::iterator) {
                    if (line.isEmpty()) {
                      if (id != null || data.length() > 0) {
                        queue.add(new Event(id, data.toString()));
                      }
                      id = null;
                      data.setLength(0);
                    } else if (line.startsWith("id:")) {
                      id = line.substring(3).trim();
                    } else if (line.startsWith("data:")) {
                      data.append(line.substring(5).trim());
                    }
                  }
                } catch (RuntimeException closed) {
                  // the test closed the stream
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    /** The next event with data (priming events, with an id and no data, are skipped). */
    Event next() throws InterruptedException {
      while (true) {
        Event event = queue.poll(10, TimeUnit.SECONDS);
        assertNotNull(event, "no SSE event within 10 s");
        if (!event.data().isEmpty()) {
          return event;
        }
      }
    }

    JsonNode nextMessage() throws Exception {
      return JSON.readTree(next().data());
    }

    @Override
    public void close() {
      response.body().close();
    }
  }

  private static String url(String key) {
    return "http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key;
  }

  private static HttpRequest.Builder post(String key, String sessionId, JsonNode body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url(key)))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (sessionId != null) {
      request.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", "2025-11-25");
    }
    return request;
  }

  private static ObjectNode initializeRequest() {
    ObjectNode params = JSON.createObjectNode().put("protocolVersion", "2025-11-25");
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "java-test").put("version", "1");
    return SseTestClient.request(1, "initialize", params);
  }

  /** initialize + initialized; returns the session id. */
  private static String openSession(String key) throws Exception {
    HttpResponse<Stream<String>> response =
        http.send(
            post(key, null, initializeRequest()).build(), HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, response.statusCode());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    String sessionId = response.headers().firstValue("Mcp-Session-Id").orElseThrow();
    try (Events events = new Events(response)) {
      JsonNode init = events.nextMessage();
      assertEquals(1, init.path("id").asInt());
      assertEquals("fake-mcp", init.path("result").path("serverInfo").path("name").asText());
    }
    HttpResponse<String> initialized =
        http.send(
            post(key, sessionId, SseTestClient.notification("notifications/initialized", null))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(202, initialized.statusCode());
    assertEquals("", initialized.body());
    return sessionId;
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertJsonRpcError(HttpResponse<String> response, int status)
      throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(JSON.readTree(response.body()).path("error").path("code").isInt(), response.body());
  }

  @Test
  void initializeGivesARandomSessionIdAndRequestsAreAnsweredOnTheirOwnStream() throws Exception {
    String sessionId = openSession("shared");
    assertTrue(sessionId.matches("[0-9a-f]{32}"), sessionId);
    JsonNode call =
        SseTestClient.request(
            2, "tools/call", SseTestClient.toolCall("echo", Map.of("text", "streamable")));
    try (Events events =
        new Events(
            http.send(
                post("shared", sessionId, call).build(), HttpResponse.BodyHandlers.ofLines()))) {
      Event answer = events.next();
      assertTrue(answer.id().matches("r\\d+\\.\\d+"), "events carry resumable ids: " + answer.id());
      assertEquals(
          "streamable",
          JSON.readTree(answer.data())
              .path("result")
              .path("content")
              .path(0)
              .path("text")
              .asText());
    }
    // a client that accepts only JSON gets one JSON answer
    HttpResponse<String> json =
        send(
            post(
                    "shared",
                    sessionId,
                    SseTestClient.request(
                        3, "tools/call", SseTestClient.toolCall("echo", Map.of("text", "plain"))))
                .setHeader("Accept", "application/json"));
    assertEquals(200, json.statusCode());
    assertTrue(json.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    assertEquals(
        "plain",
        JSON.readTree(json.body()).path("result").path("content").path(0).path("text").asText());
  }

  @Test
  void sessionHeaderRulesAreEnforced() throws Exception {
    JsonNode ping = SseTestClient.request(5, "ping", null);
    assertJsonRpcError(send(post("shared", null, ping)), 400);
    assertJsonRpcError(send(post("shared", "0123456789abcdef0123456789abcdef", ping)), 404);
    String sessionId = openSession("shared");
    assertJsonRpcError(
        send(post("shared", sessionId, ping).setHeader("MCP-Protocol-Version", "1999-01-01")), 400);
    assertJsonRpcError(
        send(post("dedicated", sessionId, ping)), 404); // a session belongs to its key
    assertJsonRpcError(send(post("shared", sessionId, ping).setHeader("Accept", "text/html")), 406);
    assertJsonRpcError(
        send(post("shared", sessionId, ping).setHeader("Content-Type", "text/plain")), 415);
    assertJsonRpcError(
        send(
            HttpRequest.newBuilder(URI.create(url("shared")))
                .header("Content-Type", "application/json")
                .header("Mcp-Session-Id", sessionId)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]"))),
        400);
    assertJsonRpcError(
        send(
            HttpRequest.newBuilder(URI.create(url("nope")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(initializeRequest().toString()))),
        404);
    ObjectNode huge =
        SseTestClient.request(
            6, "tools/call", SseTestClient.toolCall("echo", Map.of("text", "x".repeat(70_000))));
    assertJsonRpcError(send(post("shared", sessionId, huge)), 413);
    assertJsonRpcError(
        send(post("shared", sessionId, ping).POST(HttpRequest.BodyPublishers.ofString("{oops"))),
        400);
    assertEquals(
        200, send(post("shared", sessionId, ping)).statusCode(), "the session still works");
  }

  /** 404 with the JSON-RPC error that names the key, whatever the method, headers or body. */
  private static void assertUnknownKey(HttpResponse<String> response) throws Exception {
    String what =
        response.request().method()
            + " "
            + response.request().uri()
            + " "
            + response.request().headers().map().keySet()
            + " -> "
            + response.statusCode()
            + " "
            + response.body();
    assertEquals(404, response.statusCode(), what);
    JsonNode error = JSON.readTree(response.body()).path("error");
    assertEquals(-32003, error.path("code").asInt(), what);
    assertEquals("unknown server key 'nope'", error.path("message").asText(), what);
  }

  @Test
  void anUnknownKeyIs404NamingItOnEveryMethodWithAndWithoutASession() throws Exception {
    String sessionId = openSession("shared"); // a real session of another key changes nothing
    for (String session : new String[] {null, sessionId, "0123456789abcdef0123456789abcdef"}) {
      assertUnknownKey(send(post("nope", session, SseTestClient.request(2, "ping", null))));
      assertUnknownKey(
          send(
              post(
                  "nope", session, SseTestClient.notification("notifications/initialized", null))));
      HttpRequest.Builder get =
          HttpRequest.newBuilder(URI.create(url("nope")))
              .header("Accept", "text/event-stream")
              .GET();
      HttpRequest.Builder delete = HttpRequest.newBuilder(URI.create(url("nope"))).DELETE();
      if (session != null) {
        get.header("Mcp-Session-Id", session);
        delete.header("Mcp-Session-Id", session);
      }
      assertUnknownKey(send(get));
      assertUnknownKey(send(delete));
    }
    assertUnknownKey(send(post("nope", null, initializeRequest())));
    assertUnknownKey(
        send(HttpRequest.newBuilder(URI.create(url("nope"))).GET())); // no Accept either
    assertUnknownKey(
        send(
            HttpRequest.newBuilder(URI.create(url("nope")))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{}"))));
  }

  @Test
  void foreignOriginsAndHostsAreRefused() throws Exception {
    assertJsonRpcError(
        send(
            post("shared", null, initializeRequest()).header("Origin", "https://evil.example.com")),
        403);
    assertEquals(
        200,
        send(post("shared", null, initializeRequest()).header("Origin", "http://localhost:3000"))
            .statusCode());
    // java.net.http does not let a test set Host, so speak HTTP over a socket
    try (var socket = new Socket("127.0.0.1", router.proxyPort())) {
      String body = initializeRequest().toString();
      socket
          .getOutputStream()
          .write(
              ("POST /mcp/shared HTTP/1.1\r\nHost: evil.example.com\r\nContent-Type: application/json\r\n"
                      + "Content-Length: "
                      + body.length()
                      + "\r\nConnection: close\r\n\r\n"
                      + body)
                  .getBytes());
      String status = new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
      assertTrue(status.startsWith("HTTP/1.1 403"), status);
    }
    HttpResponse<String> sse =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.proxyPort() + "/sse/shared"))
                .header("Origin", "http://attacker.test")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(403, sse.statusCode(), "the legacy transport is protected too");
  }

  @Test
  void theGetStreamCarriesServerInitiatedMessages() throws Exception {
    String listener = openSession("shared");
    String caller = openSession("shared");
    try (Events events =
        new Events(
            http.send(
                HttpRequest.newBuilder(URI.create(url("shared")))
                    .header("Accept", "text/event-stream")
                    .header("Mcp-Session-Id", listener)
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofLines()))) {
      assertEquals(200, events.response.statusCode());
      HttpResponse<String> notify =
          send(
              post(
                      "shared",
                      caller,
                      SseTestClient.request(
                          2, "tools/call", SseTestClient.toolCall("notify", Map.of())))
                  .setHeader("Accept", "application/json"));
      assertEquals(200, notify.statusCode());
      JsonNode changed = events.nextMessage();
      assertEquals(
          "notifications/tools/list_changed", changed.path("method").asText(), changed.toString());
    }
  }

  @Test
  void aDroppedStreamIsResumedWithLastEventIdWithoutLossOrDuplicates() throws Exception {
    String sessionId = openSession("shared");
    ObjectNode params = SseTestClient.toolCall("progress", Map.of("steps", 6, "ms", 150));
    params.putObject("_meta").put("progressToken", "p-1");
    List<Double> progress = new ArrayList<>();
    String lastId;
    try (Events events =
        new Events(
            http.send(
                post("shared", sessionId, SseTestClient.request(7, "tools/call", params)).build(),
                HttpResponse.BodyHandlers.ofLines()))) {
      Event first = events.next();
      Event second = events.next();
      progress.add(JSON.readTree(first.data()).path("params").path("progress").asDouble());
      progress.add(JSON.readTree(second.data()).path("params").path("progress").asDouble());
      assertEquals(
          "p-1", JSON.readTree(second.data()).path("params").path("progressToken").asText());
      lastId = second.id();
    } // the connection drops here, mid-call
    JsonNode result = null;
    try (Events resumed =
        new Events(
            http.send(
                HttpRequest.newBuilder(URI.create(url("shared")))
                    .header("Accept", "text/event-stream")
                    .header("Mcp-Session-Id", sessionId)
                    .header("Last-Event-ID", lastId)
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofLines()))) {
      while (result == null) {
        JsonNode message = resumed.nextMessage();
        if (message.has("result")) {
          result = message;
        } else {
          progress.add(message.path("params").path("progress").asDouble());
        }
      }
    }
    assertEquals(7, result.path("id").asInt());
    assertEquals("done 6", result.path("result").path("content").path(0).path("text").asText());
    assertEquals(
        List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        progress,
        "every progress event exactly once, in order");
  }

  @Test
  void aDroppedGetStreamIsResumedAndGetsWhatWasSentWhileItWasDown() throws Exception {
    String listener = openSession("shared");
    String caller = openSession("shared");
    HttpRequest.Builder get =
        HttpRequest.newBuilder(URI.create(url("shared")))
            .header("Accept", "text/event-stream")
            .header("Mcp-Session-Id", listener)
            .GET();
    String lastId;
    try (Events events = new Events(http.send(get.build(), HttpResponse.BodyHandlers.ofLines()))) {
      notify(caller, 2);
      Event first = events.next();
      assertEquals(
          "notifications/tools/list_changed", JSON.readTree(first.data()).path("method").asText());
      assertTrue(first.id().startsWith("g."), first.id());
      lastId = first.id();
      events.next(); // the notifications/message that follows it
    }
    // sent while the listener is away (whether or not the router has noticed yet): buffered, not
    // lost
    notify(caller, 3);
    try (Events resumed =
        new Events(
            http.send(
                get.header("Last-Event-ID", lastId).build(),
                HttpResponse.BodyHandlers.ofLines()))) {
      List<String> methods = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        methods.add(resumed.nextMessage().path("method").asText());
      }
      assertEquals(
          List.of(
              "notifications/message", "notifications/tools/list_changed", "notifications/message"),
          methods,
          "the rest of the first notify's messages, then the second's, each once");
    }
  }

  private static void notify(String sessionId, int id) {
    try {
      HttpResponse<String> notify =
          send(
              post(
                      "shared",
                      sessionId,
                      SseTestClient.request(
                          id, "tools/call", SseTestClient.toolCall("notify", Map.of())))
                  .setHeader("Accept", "application/json"));
      assertEquals(200, notify.statusCode());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void sseAndStreamableSessionsOfASharedKeyUseOneChild() throws Exception {
    String sessionId = openSession("shared");
    HttpResponse<String> viaMcp =
        send(
            post(
                    "shared",
                    sessionId,
                    SseTestClient.request(2, "tools/call", SseTestClient.toolCall("pid", Map.of())))
                .setHeader("Accept", "application/json"));
    try (SseTestClient legacy = SseTestClient.connect(http, router.proxyPort(), "shared")) {
      legacy.initialize(1, null);
      JsonNode viaSse = legacy.call(2, "tools/call", SseTestClient.toolCall("pid", Map.of()));
      assertEquals(
          JSON.readTree(viaMcp.body()).path("result").path("content").path(0).path("text").asText(),
          viaSse.path("result").path("content").path(0).path("text").asText());
    }
  }

  @Test
  void deleteEndsTheSessionAndItsPerSessionChild() throws Exception {
    String sessionId = openSession("dedicated");
    HttpResponse<String> pid =
        send(
            post(
                    "dedicated",
                    sessionId,
                    SseTestClient.request(2, "tools/call", SseTestClient.toolCall("pid", Map.of())))
                .setHeader("Accept", "application/json"));
    long child =
        Long.parseLong(
            JSON.readTree(pid.body()).path("result").path("content").path(0).path("text").asText());
    assertTrue(Processes.alive(child));
    HttpResponse<String> deleted =
        send(
            HttpRequest.newBuilder(URI.create(url("dedicated")))
                .header("Mcp-Session-Id", sessionId)
                .DELETE());
    assertEquals(204, deleted.statusCode());
    assertJsonRpcError(
        send(post("dedicated", sessionId, SseTestClient.request(3, "ping", null))), 404);
    Await.until(
        Duration.ofSeconds(10), "the per-session child stopped", () -> !Processes.alive(child));
    assertFalse(Processes.alive(child));
  }
}
