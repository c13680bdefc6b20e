package io.mcprouter.testsupport;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Streamable HTTP client for tests of session lifetimes: each step on its own, so a test can
 * leave one out.
 */
public final class McpHttp {

  private final HttpClient http = SseTestClient.newHttpClient();
  private final int port;

  public McpHttp(int port) {
    this.port = port;
  }

  public String url(String key) {
    return "http://127.0.0.1:" + port + "/mcp/" + key;
  }

  public HttpRequest.Builder post(String key, String sessionId, JsonNode body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url(key)))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (sessionId != null) {
      request.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", "2025-06-18");
    }
    return request;
  }

  public HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  public static ObjectNode initializeRequest() {
    ObjectNode params = JSON.createObjectNode().put("protocolVersion", "2025-06-18");
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "java-test").put("version", "1");
    return SseTestClient.request(1, "initialize", params);
  }

  /**
   * An initialize POST read to its end (its stream ends with the answer); the response as received.
   */
  public HttpResponse<String> initializeOnly(String key) throws Exception {
    return send(post(key, null, initializeRequest()));
  }

  /**
   * initialize, then notifications/initialized: a session as a real client holds it. Returns its
   * id.
   */
  public String openSession(String key) throws Exception {
    return openSession(key, false);
  }

  /**
   * {@code interactive}: the client declares sampling and elicitation, so the child may ask it
   * something.
   */
  public String openSession(String key, boolean interactive) throws Exception {
    ObjectNode initialize = initializeRequest();
    if (interactive) {
      ObjectNode capabilities = (ObjectNode) initialize.path("params").path("capabilities");
      capabilities.putObject("sampling");
      capabilities.putObject("elicitation");
    }
    HttpResponse<String> init = send(post(key, null, initialize));
    assertEquals(200, init.statusCode(), init.body());
    String sessionId = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    HttpResponse<String> initialized =
        send(post(key, sessionId, SseTestClient.notification("notifications/initialized", null)));
    assertEquals(202, initialized.statusCode(), initialized.body());
    return sessionId;
  }

  /** A tools/call answered as plain JSON. */
  public HttpResponse<String> call(
      String key, String sessionId, int id, String tool, Map<String, Object> arguments)
      throws Exception {
    return send(
        post(
                key,
                sessionId,
                SseTestClient.request(id, "tools/call", SseTestClient.toolCall(tool, arguments)))
            .setHeader("Accept", "application/json"));
  }

  public static String text(HttpResponse<String> answer) throws Exception {
    return JSON.readTree(answer.body())
        .path("result")
        .path("content")
        .path(0)
        .path("text")
        .asText();
  }

  /** The session's standalone GET stream, open once this returns; close the stream to drop it. */
  public HttpResponse<InputStream> openGetStream(String key, String sessionId) throws Exception {
    HttpResponse<InputStream> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url(key)))
                .header("Accept", "text/event-stream")
                .header("Mcp-Session-Id", sessionId)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    return response;
  }

  /**
   * How {@code /admin/list-clients} shows a session: its id's first 8 characters, never the whole
   * id.
   */
  public static String prefix(String sessionId) {
    return sessionId.substring(0, Math.min(8, sessionId.length()));
  }

  /**
   * Session id prefixes of the key, as {@code /admin/list-clients} (loopback, no admin token) lists
   * them.
   */
  public List<String> clients(String key) throws Exception {
    HttpResponse<String> listed =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/list-clients"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, listed.statusCode(), listed.body());
    List<String> ids = new ArrayList<>();
    for (JsonNode client : JSON.readTree(listed.body()).path("data").path("clients")) {
      if (client.path("server_key").asText().equals(key)) {
        ids.add(client.path("session_id").asText());
      }
    }
    return ids;
  }

  /** Live descendants of this JVM: the children the routers of a test have started. */
  public static long descendants() {
    return ProcessHandle.current().descendants().filter(p -> Processes.alive(p.pid())).count();
  }
}
