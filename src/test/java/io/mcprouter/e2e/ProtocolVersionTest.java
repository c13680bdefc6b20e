package io.mcprouter.e2e;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions of different MCP revisions on one shared child: each is answered the revision it asked
 * for (when the router speaks it), whoever came first, over both transports.
 */
class ProtocolVersionTest {

  private static TestRouter router;
  private static final HttpClient http = SseTestClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("any", true),
                TestRouter.fake("older", true, "--protocol-versions", "2024-11-05,2025-03-26")));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  /**
   * A Streamable HTTP session (JSON answers) that sends the revision it was answered as its header.
   */
  private record Streamable(String key, String sessionId, String version) {
    static Streamable open(String key, String asked) throws Exception {
      ObjectNode params = JSON.createObjectNode().put("protocolVersion", asked);
      params.putObject("capabilities");
      params.putObject("clientInfo").put("name", "streamable-" + asked).put("version", "1");
      HttpResponse<String> response =
          http.send(
              post(key, null, null, SseTestClient.request(1, "initialize", params)),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      String answered =
          JSON.readTree(response.body()).path("result").path("protocolVersion").asText();
      Streamable session =
          new Streamable(
              key, response.headers().firstValue("Mcp-Session-Id").orElseThrow(), answered);
      assertEquals(
          202,
          session.send(SseTestClient.notification("notifications/initialized", null)).statusCode());
      return session;
    }

    HttpResponse<String> send(JsonNode message) throws Exception {
      return http.send(
          post(key, sessionId, version, message), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode stats() throws Exception {
      HttpResponse<String> response =
          send(SseTestClient.request(2, "tools/call", toolCall("stats", Map.of())));
      assertEquals(200, response.statusCode(), response.body());
      return JSON.readTree(
          JSON.readTree(response.body())
              .path("result")
              .path("content")
              .path(0)
              .path("text")
              .asText());
    }
  }

  private static HttpRequest post(String key, String sessionId, String version, JsonNode body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (sessionId != null) {
      request.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", version);
    }
    return request.build();
  }

  @Test
  void aLegacyClientFirstDoesNotPinItsRevisionOnTheStreamableSessionsThatFollow() throws Exception {
    try (SseTestClient legacy = SseTestClient.connect(http, router.proxyPort(), "any")) {
      // like the Java SDK's SSE client, which offers 2024-11-05 only and refuses any other answer
      assertEquals(
          "2024-11-05", legacy.initialize(1, null).path("result").path("protocolVersion").asText());
      Streamable newest = Streamable.open("any", "2025-11-25");
      assertEquals("2025-11-25", newest.version());
      Streamable middle = Streamable.open("any", "2025-03-26");
      assertEquals("2025-03-26", middle.version());
      // each session's own MCP-Protocol-Version header is accepted on its requests
      JsonNode stats = newest.stats();
      assertEquals(
          "2025-11-25",
          stats.path("requestedVersion").asText(),
          "the child is asked for the newest revision: " + stats);
      assertEquals(1, stats.path("initialize").asInt(), "one child, initialized once: " + stats);
      assertEquals(1, middle.stats().path("initialize").asInt());
      assertEquals(
          "still served",
          legacy
              .call(2, "tools/call", toolCall("echo", Map.of("text", "still served")))
              .path("result")
              .path("content")
              .path(0)
              .path("text")
              .asText());
    }
  }

  @Test
  void aChildOfAnOlderEraKeepsItsRevisionWhileEachSessionIsAnsweredItsOwn() throws Exception {
    Streamable first = Streamable.open("older", "2025-06-18");
    assertEquals("2025-06-18", first.version());
    JsonNode stats = first.stats();
    assertEquals("2025-11-25", stats.path("requestedVersion").asText(), stats.toString());
    assertEquals("2025-03-26", stats.path("negotiatedVersion").asText(), stats.toString());
    // a revision the router does not speak gets the child's, as a server answers an unknown request
    assertEquals("2025-03-26", Streamable.open("older", "2026-07-28").version());
    try (SseTestClient legacy = SseTestClient.connect(http, router.proxyPort(), "older")) {
      assertEquals(
          "2024-11-05", legacy.initialize(1, null).path("result").path("protocolVersion").asText());
    }
  }
}
