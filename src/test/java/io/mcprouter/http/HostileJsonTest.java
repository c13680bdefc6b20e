package io.mcprouter.http;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile JSON from clients and from children, over real HTTP: nested 10,000 deep (which overflowed
 * the stack when re-encoded, and the fatal error ended the JVM) and numbers of a million digits
 * (seconds of CPU each). Each is refused with an error naming the limit and its setting, and the
 * router goes on.
 */
class HostileJsonTest {

  private static final int DEEP = 10_000;
  private static final int DIGITS = 1_000_000;

  private static TestRouter router;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("shared", true), TestRouter.fake("dedicated", false)),
            // room for a million-digit number in one body, so the JSON limit is what refuses it
            "mcprouter.http.max-body-bytes = 2MiB\nmcprouter.stdio.max-line-bytes = 2MiB");
    http = SseTestClient.newHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static String deep() {
    return "[".repeat(DEEP) + "]".repeat(DEEP);
  }

  private static String hugeNumber() {
    return "9".repeat(DIGITS);
  }

  private static String initialize(String hostileValue) {
    return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"hostile\",\"version\":\"1\"},\"x\":"
        + hostileValue
        + "}}";
  }

  private static HttpResponse<String> post(
      int port, String path, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertParseError(HttpResponse<String> response, Object id, String setting)
      throws Exception {
    assertEquals(400, response.statusCode(), response.body());
    JsonNode body = JSON.readTree(response.body());
    assertEquals(-32700, body.path("error").path("code").asInt(), response.body());
    String message = body.path("error").path("message").asText();
    assertTrue(message.contains(setting), message);
    assertEquals(
        JSON.valueToTree(id),
        body.get("id"),
        "the id read before the refused part: " + response.body());
  }

  /** The router still serves, promptly: a hostile body must not have pinned its threads. */
  private static void assertHealthy() throws Exception {
    for (int port : new int[] {router.proxyPort(), router.apiPort()}) {
      HttpResponse<String> health =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                  .timeout(Duration.ofSeconds(5))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, health.statusCode(), health.body());
    }
  }

  private void streamableInitialize(String hostile, String setting) throws Exception {
    HttpResponse<String> response =
        post(
            router.proxyPort(),
            "/mcp/shared",
            initialize(hostile),
            Map.of("Accept", "application/json, text/event-stream"));
    assertParseError(response, 1, setting);
    assertTrue(
        response.headers().firstValue("Mcp-Session-Id").isEmpty(),
        "no session for a refused initialize");
    assertHealthy();
  }

  @Test
  void aDeepInitializeWithoutSessionIs400NamingTheNestingLimit() throws Exception {
    streamableInitialize(deep(), "JSON nesting deeper than");
  }

  @Test
  void aMillionDigitNumberInInitializeIs400NamingTheNumberLimit() throws Exception {
    streamableInitialize(hugeNumber(), "characters, longer than the limit of");
  }

  private void legacyMessage(String hostile, String setting) throws Exception {
    try (SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "shared")) {
      client.initialize(1, null);
      String body =
          "{\"jsonrpc\":\"2.0\",\"id\":\"h-2\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
              + "\"arguments\":{\"text\":"
              + hostile
              + "}}}";
      assertParseError(client.postRaw(body), "h-2", setting);
      assertHealthy();
      // the session goes on
      assertEquals(
          "still here",
          client
              .call(3, "tools/call", toolCall("echo", Map.of("text", "still here")))
              .path("result")
              .path("content")
              .path(0)
              .path("text")
              .asText());
    }
  }

  @Test
  void aDeepMessageOnALegacySessionIs400AndTheSessionGoesOn() throws Exception {
    legacyMessage(deep(), "JSON nesting deeper than");
  }

  @Test
  void aMillionDigitNumberOnALegacySessionIs400AndTheSessionGoesOn() throws Exception {
    legacyMessage(hugeNumber(), "characters, longer than the limit of");
  }

  private void restCall(String hostile, String setting) throws Exception {
    HttpResponse<String> response =
        post(
            router.apiPort(),
            "/v1/call-tool",
            "{\"name\":\"echo\",\"arguments\":{\"text\":" + hostile + "}}",
            Map.of("Authorization", "Bearer shared"));
    assertEquals(400, response.statusCode(), response.body());
    JsonNode envelope = JSON.readTree(response.body());
    assertEquals(-1, envelope.path("code").asInt(), response.body());
    assertTrue(envelope.path("message").asText().contains(setting), response.body());
    assertHealthy();
  }

  @Test
  void aDeepRestBodyIs400WithTheEnvelopeNamingTheLimit() throws Exception {
    restCall(deep(), "JSON nesting deeper than");
  }

  @Test
  void aMillionDigitNumberInARestBodyIs400WithTheEnvelopeNamingTheLimit() throws Exception {
    restCall(hugeNumber(), "characters, longer than the limit of");
  }

  @Test
  void aTooDeepHeaderIsRefusedLikeAnyOtherBadClientInfo() throws Exception {
    // Akka's header limit keeps this short, but it is still parsed under the same limits
    HttpResponse<String> response =
        post(
            router.apiPort(),
            "/v1/list-tools",
            "{}",
            Map.of(
                "Authorization",
                "Bearer shared",
                "X-Client-Info",
                "{\"a\":" + "[".repeat(300) + "]".repeat(300) + "}"));
    assertEquals(400, response.statusCode(), response.body());
    assertHealthy();
  }

  private void childAnswer(String key, String shape, int size, String setting) throws Exception {
    try (SseTestClient client = SseTestClient.connect(http, router.proxyPort(), key)) {
      client.initialize(1, null);
      JsonNode answer =
          client.call(2, "tools/call", toolCall("hostile", Map.of("shape", shape, "size", size)));
      // as for an over-long line: the router could not relay the child's answer
      assertEquals(-32603, answer.path("error").path("code").asInt(), answer.toString());
      assertTrue(
          answer.path("error").path("message").asText().contains(setting), answer.toString());
      assertHealthy();
      // the child and its session go on
      assertEquals(
          "after",
          client
              .call(3, "tools/call", toolCall("echo", Map.of("text", "after")))
              .path("result")
              .path("content")
              .path(0)
              .path("text")
              .asText());
    }
  }

  @Test
  void aDeepAnswerFromASharedChildFailsTheWaitingRequestNamingTheLimit() throws Exception {
    childAnswer("shared", "deep", DEEP, "JSON nesting deeper than");
  }

  @Test
  void aMillionDigitAnswerFromAChildFailsTheWaitingRequestNamingTheLimit() throws Exception {
    childAnswer("dedicated", "number", DIGITS, "characters, longer than the limit of");
  }

  @Test
  void aDeepAnswerToARestCallIsAnErrorNamingTheLimit() throws Exception {
    HttpResponse<String> response =
        post(
            router.apiPort(),
            "/v1/call-tool",
            "{\"name\":\"hostile\",\"arguments\":{\"shape\":\"deep\",\"size\":" + DEEP + "}}",
            Map.of("Authorization", "Bearer shared"));
    JsonNode envelope = JSON.readTree(response.body());
    assertTrue(
        envelope.path("message").asText().contains("JSON nesting deeper than"), response.body());
    assertHealthy();
  }
}
