package io.mcprouter.transport.streamable;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A request the client cancels gets no answer (MCP cancellation), so its POST stream must end: left
 * open, it kept its session "connected" for ever, and a client that then vanished leaked the
 * session (and a per-session child), as the soak test found.
 */
class CancelledRequestTest {

  private static TestRouter router;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    router = TestRouter.start(TestRouter.servers(TestRouter.fake("shared", true)));
    http = SseTestClient.newHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static HttpRequest.Builder post(String sessionId, JsonNode body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.proxyPort() + "/mcp/shared"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (sessionId != null) {
      request.header("Mcp-Session-Id", sessionId);
    }
    return request;
  }

  private static String openSession() throws Exception {
    ObjectNode params = JSON.createObjectNode().put("protocolVersion", "2025-11-25");
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "cancel-test").put("version", "1");
    HttpResponse<String> init =
        http.send(
            post(null, SseTestClient.request(1, "initialize", params)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, init.statusCode(), init.body());
    String sessionId = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    http.send(
        post(sessionId, SseTestClient.notification("notifications/initialized", null)).build(),
        HttpResponse.BodyHandlers.ofString());
    return sessionId;
  }

  private static void cancel(String sessionId, int requestId) throws Exception {
    ObjectNode params =
        JSON.createObjectNode().put("requestId", requestId).put("reason", "user aborted");
    HttpResponse<String> sent =
        http.send(
            post(sessionId, SseTestClient.notification("notifications/cancelled", params)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(202, sent.statusCode(), sent.body());
  }

  /** The call has reached the child: a cancellation sent before it would have nothing to cancel. */
  private static void awaitInFlight() throws InterruptedException {
    Await.until(
        Duration.ofSeconds(10),
        "the call is in flight",
        () -> {
          try {
            HttpResponse<String> running =
                http.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:"
                                    + router.proxyPort()
                                    + "/admin/list-running-servers"))
                        .GET()
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
            return running.body().matches("(?s).*\"in_flight\"\\s*:\\s*[1-9].*");
          } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
          }
        });
  }

  @Test
  void theStreamOfACancelledRequestEnds() throws Exception {
    String sessionId = openSession();
    JsonNode slow =
        SseTestClient.request(
            7, "tools/call", SseTestClient.toolCall("sleep", Map.of("ms", 60_000)));
    // the whole body: it completes only when the router ends the request's stream
    CompletableFuture<HttpResponse<String>> stream =
        http.sendAsync(post(sessionId, slow).build(), HttpResponse.BodyHandlers.ofString());
    awaitInFlight();
    cancel(sessionId, 7);
    HttpResponse<String> ended = stream.get(10, TimeUnit.SECONDS);
    assertEquals(200, ended.statusCode());
    assertEquals(
        -1,
        ended.body().indexOf("\"result\""),
        "no answer for a cancelled request: " + ended.body());
  }

  @Test
  void aJsonOnlyCallerOfACancelledRequestGetsAnErrorSayingSo() throws Exception {
    String sessionId = openSession();
    JsonNode slow =
        SseTestClient.request(
            8, "tools/call", SseTestClient.toolCall("sleep", Map.of("ms", 60_000)));
    CompletableFuture<HttpResponse<String>> answer =
        http.sendAsync(
            post(sessionId, slow).setHeader("Accept", "application/json").build(),
            HttpResponse.BodyHandlers.ofString());
    awaitInFlight();
    cancel(sessionId, 8);
    HttpResponse<String> cancelled = answer.get(10, TimeUnit.SECONDS);
    JsonNode body = JSON.readTree(cancelled.body());
    assertEquals(8, body.path("id").asInt(), cancelled.body());
    assertEquals(-32800, body.path("error").path("code").asInt(), cancelled.body());
  }
}
