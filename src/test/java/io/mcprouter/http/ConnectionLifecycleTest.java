package io.mcprouter.http;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static io.mcprouter.testsupport.SseTestClient.notification;
import static io.mcprouter.testsupport.SseTestClient.request;
import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connections as the OS sees them: a client whose socket closes (FIN) or resets (RST) is noticed at
 * once, not at the next keep-alive (60 s here, so it cannot be what notices); silent and idle
 * connections are closed by the header-read and idle timeouts, open streams and slow answers never.
 */
class ConnectionLifecycleTest {

  /** Well under the keep-alive: only the connection's own end can explain an end this fast. */
  private static final Duration NOTICED = Duration.ofSeconds(3);

  private static TestRouter router;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("solo", false), TestRouter.fake("shared", true)),
            String.join(
                "\n",
                "mcprouter.sse.keep-alive = 60s",
                "mcprouter.http.header-read-timeout = 1s",
                "mcprouter.http.idle-timeout = 2s"));
    http = SseTestClient.newHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  /** An SSE session over a raw socket, so the test decides how the connection ends. */
  private static final class RawSse implements AutoCloseable {
    final Socket socket = new Socket("127.0.0.1", router.proxyPort());
    final BlockingQueue<String> data = new LinkedBlockingQueue<>();
    final String endpoint;

    RawSse(String key) throws Exception {
      socket
          .getOutputStream()
          .write(
              ("GET /sse/"
                      + key
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      Thread pump =
          new Thread(
              () -> {
                try {
                  for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.startsWith("data: ")) {
                      data.add(line.substring(6));
                    }
                  }
                } catch (IOException ended) {
                  // the test closed the socket
                }
              });
      pump.setDaemon(true);
      pump.start();
      String first = data.poll(20, TimeUnit.SECONDS);
      assertTrue(
          first != null && first.startsWith("/messages?sessionid="), "endpoint event: " + first);
      endpoint = first;
    }

    void post(JsonNode message) throws Exception {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + router.proxyPort() + endpoint))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(message.toString()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(202, response.statusCode(), response.body());
    }

    JsonNode await(Predicate<JsonNode> predicate) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < deadline) {
        String line = data.poll(1, TimeUnit.SECONDS);
        if (line != null && line.startsWith("{")) {
          JsonNode message = JSON.readTree(line);
          if (predicate.test(message)) {
            return message;
          }
        }
      }
      throw new AssertionError("no matching message");
    }

    JsonNode call(int id, String method, JsonNode params) throws Exception {
      post(request(id, method, params));
      return await(m -> m.path("id").asInt(-1) == id && !m.has("method"));
    }

    void initialize() throws Exception {
      ObjectNode params = JSON.createObjectNode().put("protocolVersion", "2024-11-05");
      params.putObject("capabilities");
      params.putObject("clientInfo").put("name", "raw").put("version", "1");
      call(1, "initialize", params);
      post(notification("notifications/initialized", null));
    }

    String sessionId() {
      return endpoint.substring(endpoint.indexOf('=') + 1);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static long childPid(RawSse client) throws Exception {
    return Long.parseLong(
        client
            .call(2, "tools/call", toolCall("pid", Map.of()))
            .path("result")
            .path("content")
            .path(0)
            .path("text")
            .asText());
  }

  private static String clients() throws Exception {
    return http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.proxyPort() + "/admin/list-clients"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private void perSessionChildEndsWithItsConnection(boolean reset) throws Exception {
    RawSse client = new RawSse("solo");
    client.initialize();
    long pid = childPid(client);
    client.post(request(3, "tools/call", toolCall("sleep", Map.of("ms", 60_000))));
    if (reset) {
      client.socket.setSoLinger(true, 0); // close() now sends RST
    }
    client.close();
    Await.until(
        NOTICED,
        "per-session child "
            + pid
            + " gone after its client's connection "
            + (reset ? "reset" : "closed"),
        () -> !Processes.alive(pid));
    Await.until(
        NOTICED,
        "session released",
        () -> {
          try {
            return !clients().contains(client.sessionId());
          } catch (Exception e) {
            return false;
          }
        });
  }

  @Test
  void aClosedConnectionEndsItsSessionAndPerSessionChildAtOnce() throws Exception {
    perSessionChildEndsWithItsConnection(false);
  }

  @Test
  void aResetConnectionEndsItsSessionAndPerSessionChildAtOnce() throws Exception {
    perSessionChildEndsWithItsConnection(true);
  }

  @Test
  void aVanishedClientsCallOnASharedChildIsCancelled() throws Exception {
    RawSse client = new RawSse("shared");
    client.initialize();
    client.post(request(7, "tools/call", toolCall("sleep", Map.of("ms", 60_000))));
    try (SseTestClient observer = SseTestClient.connect(http, router.proxyPort(), "shared")) {
      observer.initialize(1, null);
      // the sleep has reached the child once the child has seen a later message from another
      // session
      observer.call(2, "tools/call", toolCall("echo", Map.of("text", "after")));
      client.close();
      Await.until(
          NOTICED,
          "the child got notifications/cancelled for the vanished client's call",
          () -> {
            try {
              JsonNode stats =
                  JSON.readTree(
                      observer
                          .call(System.nanoTime(), "tools/call", toolCall("stats", Map.of()))
                          .path("result")
                          .path("content")
                          .path(0)
                          .path("text")
                          .asText());
              return stats.path("cancelled").size() > 0;
            } catch (Exception e) {
              return false;
            }
          });
    }
  }

  @Test
  void connectCloseCyclesLeaveNoSessionAndNever503() throws Exception {
    for (int i = 0; i < 100; i++) {
      try (Socket socket = new Socket("127.0.0.1", router.proxyPort())) {
        socket
            .getOutputStream()
            .write(
                "GET /sse/shared HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
        String status =
            new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        assertEquals("HTTP/1.1 200 OK", status, "cycle " + i);
      }
    }
    Await.until(
        NOTICED,
        "no session left",
        () -> {
          try {
            return JSON.readTree(clients()).path("data").path("clients").isEmpty();
          } catch (Exception e) {
            return false;
          }
        });
  }

  private static void assertClosedByRouter(Socket socket, Duration within) throws IOException {
    socket.setSoTimeout((int) within.toMillis());
    InputStream in = socket.getInputStream();
    int read;
    do {
      read = in.read(); // a closed connection reads -1; one left open times out with an exception
    } while (read != -1);
  }

  @Test
  void aSilentConnectionIsClosedAfterTheHeaderReadTimeout() throws Exception {
    try (Socket silent = new Socket("127.0.0.1", router.proxyPort())) {
      assertClosedByRouter(silent, Duration.ofSeconds(10));
    }
  }

  @Test
  void anUnfinishedRequestHeadIsClosedAfterTheHeaderReadTimeout() throws Exception {
    try (Socket slow = new Socket("127.0.0.1", router.proxyPort())) {
      slow.getOutputStream()
          .write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      assertClosedByRouter(slow, Duration.ofSeconds(10));
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedButAnOpenStreamAndASlowAnswerAreNot() throws Exception {
    try (Socket keptAlive = new Socket("127.0.0.1", router.proxyPort());
        SseTestClient stream = SseTestClient.connect(http, router.proxyPort(), "shared")) {
      OutputStream out = keptAlive.getOutputStream();
      out.write(
          "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertClosedByRouter(keptAlive, Duration.ofSeconds(10)); // reads the answer, then the close
      stream.initialize(1, null);
      // a call slower than both timeouts, on a stream open for longer than both: both survive
      JsonNode slow = stream.call(2, "tools/call", toolCall("sleep", Map.of("ms", 3_000)));
      assertTrue(slow.has("result"), slow.toString());
      assertTrue(!stream.ended().isDone(), "the SSE stream is still open");
    }
  }
}
