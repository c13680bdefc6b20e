package io.mcprouter.fault;

import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile children and hostile clients: the router stays up, every client gets an answer or a clear
 * error within a stated bound, and no session or child process is left behind.
 */
class FaultInjectionTest {

  private static TestRouter router;
  private static final HttpClient http = SseTestClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("victim", true),
                TestRouter.fake("lines", true),
                TestRouter.fake("flood", true),
                TestRouter.fake("churn", true),
                TestRouter.fake("churn-dedicated", false),
                TestRouter.fake("steady", true)),
            String.join(
                "\n",
                "mcprouter.stdio.max-line-bytes = 16MiB",
                "mcprouter.session.buffer-messages = 256",
                "mcprouter.session.buffer-bytes = 8MiB",
                "mcprouter.streamable.session-idle-timeout = 2s",
                "mcprouter.restart.min-backoff = 50ms"));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static String text(JsonNode response) {
    return response.path("result").path("content").path(0).path("text").asText();
  }

  private static JsonNode admin(String path) throws Exception {
    return SseTestClient.JSON.readTree(
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.proxyPort() + path))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  @Test
  void killingASharedChildWithAHundredRequestsInFlightFailsThemAllWithinASecondAndTheSessionsGoOn()
      throws Exception {
    List<SseTestClient> sessions = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) {
        SseTestClient session = SseTestClient.connect(http, router.proxyPort(), "victim");
        session.initialize(0, null);
        sessions.add(session);
      }
      long pid =
          Long.parseLong(text(sessions.get(0).call(1, "tools/call", toolCall("pid", Map.of()))));
      for (SseTestClient session : sessions) {
        for (int call = 100; call < 110; call++) {
          session.send(
              SseTestClient.request(call, "tools/call", toolCall("sleep", Map.of("ms", 60_000))));
        }
      }
      Await.until(
          Duration.ofSeconds(10),
          "100 requests in flight",
          () -> {
            try {
              return admin("/admin/list-running-servers")
                      .path("data")
                      .path("servers")
                      .path(0)
                      .path("in_flight")
                      .asInt()
                  == 100;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      long killedAt = System.nanoTime();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // kill -9
      for (SseTestClient session : sessions) {
        for (int call = 100; call < 110; call++) {
          int id = call;
          JsonNode failed =
              session.awaitMessage(m -> m.path("id").asInt() == id, Duration.ofSeconds(5));
          assertEquals(-32000, failed.path("error").path("code").asInt(), failed.toString());
        }
      }
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertTrue(tookMs < 1000, "all 100 errors took " + tookMs + " ms");
      for (int i = 0; i < sessions.size(); i++) {
        String expected = "session " + i + " goes on";
        assertEquals(
            expected,
            text(
                sessions.get(i).call(2, "tools/call", toolCall("echo", Map.of("text", expected)))));
      }
    } finally {
      sessions.forEach(SseTestClient::close);
    }
  }

  @Test
  void hugeLinesAndInvalidUtf8OnStdoutAreSkippedAndTheServerGoesOn() throws Exception {
    try (SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "lines")) {
      client.initialize(1, null);
      JsonNode tooBig = client.call(2, "tools/call", toolCall("big", Map.of("bytes", 50_000_000)));
      assertTrue(
          tooBig.path("error").path("message").asText().contains("over the router's limit"),
          tooBig.toString().substring(0, Math.min(300, tooBig.toString().length())));
      assertEquals(
          "after bad utf8", text(client.call(3, "tools/call", toolCall("bad_utf8", Map.of()))));
      assertEquals(
          "after garbage", text(client.call(4, "tools/call", toolCall("garbage", Map.of()))));
      assertEquals(
          "fine", text(client.call(5, "tools/call", toolCall("echo", Map.of("text", "fine")))));
    }
  }

  @Test
  void aClientThatNeverReadsIsDisconnectedWhileOthersAreServed() throws Exception {
    try (Socket stuck = new Socket("127.0.0.1", router.proxyPort())) {
      stuck.setReceiveBufferSize(4096);
      OutputStream out = stuck.getOutputStream();
      out.write(
          ("GET /sse/flood HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readUntil(stuck.getInputStream(), "sessionid=", 32);
      String stuckSession =
          head.substring(head.indexOf("sessionid=") + 10, head.indexOf("sessionid=") + 42);
      // initialize the stuck session over plain POSTs, so broadcasts are addressed to it too
      postTo(
          stuckSession,
          SseTestClient.request(
              1,
              "initialize",
              SseTestClient.JSON.readTree(
                  "{\"protocolVersion\":\"2024-11-05\",\"capabilities\":{},\"clientInfo\":{\"name\":\"stuck\",\"version\":\"1\"}}")));
      postTo(stuckSession, SseTestClient.notification("notifications/initialized", null));
      SseTestClient steady = SseTestClient.connect(http, router.proxyPort(), "steady");
      steady.initialize(1, null);
      long heapBefore = heapAfterGc();
      // about 100 MB of notifications to every session, asked for over REST; the stuck one stopped
      // reading after its endpoint event
      CompletableFuture<HttpResponse<String>> flood =
          http.sendAsync(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + router.apiPort() + "/v1/call-tool"))
                  .header("Authorization", "Bearer flood")
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"name\":\"flood\",\"arguments\":{\"count\":2000,\"size\":50000}}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      long slowestPingMs = 0;
      int pings = 0;
      while (!flood.isDone() || pings < 5) {
        long sent = System.nanoTime();
        assertTrue(steady.call(100 + pings, "ping", null).has("result"));
        slowestPingMs =
            Math.max(slowestPingMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent));
        pings++;
      }
      HttpResponse<String> flooded = flood.get(60, TimeUnit.SECONDS);
      assertEquals(200, flooded.statusCode(), flooded.body());
      assertTrue(flooded.body().contains("flooded 2000"), flooded.body());
      Await.until(
          Duration.ofSeconds(30),
          "the stuck session was closed",
          () -> {
            try {
              return !admin("/admin/list-clients")
                  .toString()
                  .contains(McpHttp.prefix(stuckSession));
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      long retainedMb = (heapAfterGc() - heapBefore) / (1024 * 1024);
      System.out.println(
          "100 MB flood past a client that does not read: "
              + pings
              + " pings from another session, slowest "
              + slowestPingMs
              + " ms; heap retained afterwards "
              + retainedMb
              + " MiB");
      assertTrue(
          slowestPingMs < 2000,
          "another session's ping took " + slowestPingMs + " ms during the flood");
      assertTrue(retainedMb < 64, "heap retained after the flood: " + retainedMb + " MiB");
      steady.close();
      assertEquals(404, postTo(stuckSession, SseTestClient.request(3, "ping", null)));
      try (SseTestClient other = SseTestClient.connect(http, router.proxyPort(), "steady")) {
        other.initialize(1, null);
        assertTrue(other.call(2, "ping", null).has("result"), "the router still serves others");
      }
    }
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static int postTo(String sessionId, JsonNode body) throws Exception {
    return http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + router.proxyPort()
                            + "/messages?sessionid="
                            + sessionId))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private static String readUntil(InputStream in, String marker, int extra) throws Exception {
    StringBuilder seen = new StringBuilder();
    int found = -1;
    while (found < 0 || seen.length() < found + marker.length() + extra) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("stream ended: " + seen);
      }
      seen.append((char) b);
      if (found < 0) {
        found = seen.indexOf(marker);
      }
    }
    return seen.toString();
  }

  @Test
  void manyClientsDisconnectingMidCallLeaveNoSessionOrProcessBehind() throws Exception {
    String base = "http://127.0.0.1:" + router.proxyPort();
    for (int cycle = 0; cycle < 200; cycle++) {
      if (cycle % 2 == 0) {
        try (SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "churn")) {
          client.send(
              SseTestClient.request(1, "tools/call", toolCall("sleep", Map.of("ms", 5_000))));
        }
      } else {
        HttpResponse<InputStream> init =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/mcp/churn"))
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                                + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"churn\",\"version\":\"1\"}}}"))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        init.body().close(); // gone before the answer
      }
    }
    List<Long> dedicatedPids = new ArrayList<>();
    for (int cycle = 0; cycle < 5; cycle++) {
      try (SseTestClient client =
          SseTestClient.connect(http, router.proxyPort(), "churn-dedicated")) {
        client.initialize(1, null);
        dedicatedPids.add(
            Long.parseLong(text(client.call(2, "tools/call", toolCall("pid", Map.of())))));
        client.send(SseTestClient.request(3, "tools/call", toolCall("sleep", Map.of("ms", 5_000))));
      }
    }
    Await.until(
        Duration.ofSeconds(30),
        "every churned session is gone",
        () -> {
          try {
            return !admin("/admin/list-clients").toString().contains("churn");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    Await.until(
        Duration.ofSeconds(15),
        "no per-session child is left",
        () -> dedicatedPids.stream().noneMatch(Processes::alive));
    Await.until(
        Duration.ofSeconds(15),
        "no per-session server actor is left",
        () -> {
          try {
            return !admin("/admin/list-running-servers").toString().contains("churn-dedicated");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Test
  void aThousandMalformedRequestsGetNoServerErrorAndTheRouterStillServes() throws Exception {
    Random random = new Random(42);
    String base = "http://127.0.0.1:" + router.proxyPort();
    List<CompletableFuture<HttpResponse<InputStream>>> answers = new ArrayList<>();
    String[] paths = {
      "/mcp/steady",
      "/messages?sessionid=abc",
      "/sse/steady",
      "/admin/stop-server",
      "/mcp/",
      "/nope",
      "/sse/"
    };
    String[] bodies = {
      "{",
      "[]",
      "null",
      "{\"jsonrpc\":\"2.0\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":1}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":7}",
      "\u0000\u0001",
      "{\"server_key\":5}"
    };
    String[] methods = {"POST", "PUT", "DELETE", "PATCH", "GET"};
    for (int i = 0; i < 900; i++) {
      String method = methods[random.nextInt(methods.length)];
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + paths[random.nextInt(paths.length)]))
              .timeout(Duration.ofSeconds(20))
              .header("Content-Type", random.nextBoolean() ? "application/json" : "text/plain")
              .header("Mcp-Session-Id", Long.toHexString(random.nextLong()))
              .header("X-Filler", "z".repeat(random.nextInt(4000)));
      String body = bodies[random.nextInt(bodies.length)];
      request.method(
          method,
          method.equals("GET")
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body));
      // the status is what matters; a body may be an endless event stream, so it is not read
      answers.add(
          http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream())
              .thenApply(
                  response -> {
                    try {
                      response.body().close();
                    } catch (IOException ignored) {
                      // closing is best effort
                    }
                    return response;
                  }));
      if (answers.size() % 100 == 0) {
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
            .get(60, TimeUnit.SECONDS);
      }
    }
    for (CompletableFuture<HttpResponse<InputStream>> answer : answers) {
      HttpResponse<InputStream> response = answer.get(60, TimeUnit.SECONDS);
      assertTrue(
          response.statusCode() < 500,
          response.statusCode() + " " + response.request().method() + " " + response.uri());
    }
    for (int i = 0; i < 100; i++) { // raw garbage and oversized headers on sockets
      try (Socket socket = new Socket("127.0.0.1", router.proxyPort())) {
        socket.setSoTimeout(5000);
        byte[] junk = new byte[1 + random.nextInt(2000)];
        random.nextBytes(junk);
        if (i % 10 == 0) {
          junk =
              ("GET /sse/steady HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: "
                      + "h".repeat(100_000)
                      + "\r\n\r\n")
                  .getBytes();
        }
        socket.getOutputStream().write(junk);
        socket.getOutputStream().flush();
        byte[] status = new byte[12];
        int read = socket.getInputStream().readNBytes(status, 0, 12);
        String line = new String(status, 0, read, StandardCharsets.US_ASCII);
        assertTrue(read == 0 || !line.matches("HTTP/1\\.1 5.*"), line);
      } catch (SocketException | SocketTimeoutException closedByRouter) {
        // refusing garbage by closing the connection is fine
      }
    }
    try (SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "steady")) {
      client.initialize(1, null);
      assertEquals(
          "alive", text(client.call(2, "tools/call", toolCall("echo", Map.of("text", "alive")))));
    }
  }
}
