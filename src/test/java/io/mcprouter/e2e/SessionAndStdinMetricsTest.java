package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.ModernHttp;
import io.mcprouter.testsupport.Scrape;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics a session's end and a child's stdin move, against a real router and real children:
 * {@code mcprouter_sessions_ended_total} by reason (a DELETE, an SSE stream dropped, an operator's
 * stop), {@code mcprouter_child_bytes_total} in both directions, and {@code
 * mcprouter_child_stdin_queued_messages} while a child stops reading its stdin.
 */
class SessionAndStdinMetricsTest {

  private static final HttpClient http = SseTestClient.newHttpClient();
  private static TestRouter router;
  private static McpHttp mcp;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("ends", true),
                TestRouter.fake("stopped", true),
                TestRouter.fake("stalls", true)));
    mcp = new McpHttp(router.proxyPort());
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static String scrape() throws Exception {
    return Scrape.metrics(http, router.proxyPort());
  }

  private static void awaitEnded(String key, String transport, String reason, double count)
      throws InterruptedException {
    Scrape.awaitSample(
        http,
        router.proxyPort(),
        Duration.ofSeconds(10),
        n -> n == count,
        "mcprouter_sessions_ended_total",
        "key=\"" + key + "\"",
        "transport=\"" + transport + "\"",
        "era=\"2025\"",
        "reason=\"" + reason + "\"");
  }

  @Test
  void sessionsEndedAreCountedByWhyTheyEnded() throws Exception {
    String deleted = mcp.openSession("ends");
    HttpResponse<String> delete =
        mcp.send(mcp.post("ends", deleted, McpHttp.initializeRequest()).method("DELETE", noBody()));
    assertEquals(204, delete.statusCode(), delete.body());
    awaitEnded("ends", "streamable_http", "client_closed", 1);

    HttpResponse<String> modern =
        new ModernHttp(router.proxyPort())
            .send("ends", ModernHttp.toolCall(1, "echo", Map.of("text", "one request"), Map.of()));
    assertEquals("one request", ModernHttp.text(ModernHttp.answer(modern)), modern.body());
    Scrape.awaitSample(
        http,
        router.proxyPort(),
        Duration.ofSeconds(10),
        n -> n == 1,
        "mcprouter_sessions_ended_total",
        "key=\"ends\"",
        "era=\"2026-07-28\"",
        "reason=\"client_closed\"");

    SseTestClient sse = SseTestClient.connect(http, router.proxyPort(), "ends");
    sse.initialize(1, null);
    sse.close();
    awaitEnded("ends", "sse", "vanished", 1);

    mcp.openSession("stopped");
    mcp.openSession("stopped");
    HttpResponse<String> stop =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.proxyPort() + "/admin/stop-server"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"server_key\":\"stopped\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, stop.statusCode(), stop.body());
    awaitEnded("stopped", "streamable_http", "stopped", 2);

    String text = scrape();
    assertEquals(
        0,
        Scrape.sample(text, "mcprouter_sessions_ended_total", "key=\"ends\"", "reason=\"stopped\""),
        "nothing else was counted for the key: " + text);
    assertEquals(
        2,
        Scrape.sample(text, "mcprouter_sessions_opened_total", "key=\"stopped\""),
        "every session opened is one ended: " + text);
  }

  private static HttpRequest.BodyPublisher noBody() {
    return HttpRequest.BodyPublishers.noBody();
  }

  @Test
  void theStdinQueueGrowsWhileAChildStopsReadingAndBytesAreCountedBothWays(@TempDir Path dir)
      throws Exception {
    String session = mcp.openSession("stalls");
    assertEquals("hi", McpHttp.text(mcp.call("stalls", session, 2, "echo", Map.of("text", "hi"))));
    String text = scrape();
    double toChild =
        Scrape.sample(text, "mcprouter_child_bytes_total", "key=\"stalls\"", "to_child");
    double fromChild =
        Scrape.sample(text, "mcprouter_child_bytes_total", "key=\"stalls\"", "from_child");
    assertTrue(toChild > 0, "the initialize and the call went to the child: " + text);
    assertTrue(fromChild > 0, "their answers came back: " + text);
    assertEquals(
        0,
        Scrape.sample(text, "mcprouter_child_stdin_queued_messages", "key=\"stalls\""),
        "nothing waits for a child that reads: " + text);
    assertTrue(
        Scrape.exposed(text, "mcprouter_child_stdin_queued_messages", "key=\"stalls\""), text);

    Path resume = dir.resolve("read-again");
    CompletableFuture<HttpResponse<String>> stalled =
        async(session, 3, "stall_stdin", Map.of("until", resume.toString()));
    // more than the pipe holds (64 KiB on Linux): the rest waits in the router's stdin queue
    String text8k = "x".repeat(8 * 1024);
    List<CompletableFuture<HttpResponse<String>>> echoes = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      echoes.add(async(session, 10 + i, "echo", Map.of("text", text8k)));
    }
    Scrape.awaitSample(
        http,
        router.proxyPort(),
        Duration.ofSeconds(10),
        n -> n > 0,
        "mcprouter_child_stdin_queued_messages",
        "key=\"stalls\"");

    Files.createFile(resume);
    assertEquals("read again", McpHttp.text(stalled.get(10, TimeUnit.SECONDS)));
    for (CompletableFuture<HttpResponse<String>> echo : echoes) {
      assertEquals(text8k, McpHttp.text(echo.get(10, TimeUnit.SECONDS)));
    }
    String after = scrape();
    assertEquals(
        0, Scrape.sample(after, "mcprouter_child_stdin_queued_messages", "key=\"stalls\""), after);
    assertTrue(
        Scrape.sample(after, "mcprouter_child_bytes_total", "key=\"stalls\"", "to_child")
            > toChild + 60 * 8 * 1024,
        "the queued calls were counted as they reached the child: " + after);
  }

  private static CompletableFuture<HttpResponse<String>> async(
      String session, int id, String tool, Map<String, Object> arguments) {
    return http.sendAsync(
        mcp.post(
                "stalls",
                session,
                SseTestClient.request(id, "tools/call", SseTestClient.toolCall(tool, arguments)))
            .setHeader("Accept", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
