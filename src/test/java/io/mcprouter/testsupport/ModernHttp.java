package io.mcprouter.testsupport;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An MCP 2026-07-28 client over raw HTTP for end-to-end tests: every request stands alone (no
 * initialize, no session), with the era's headers and {@code _meta}.
 */
public final class ModernHttp {

  public static final String VERSION = "2026-07-28";

  private final HttpClient http = SseTestClient.newHttpClient();
  private final int port;

  public ModernHttp(int port) {
    this.port = port;
  }

  public HttpClient client() {
    return http;
  }

  /** A request body with the era's {@code _meta}, plus {@code meta} (progressToken, logLevel). */
  public static ObjectNode request(
      Object id, String method, ObjectNode params, Map<String, Object> meta) {
    ObjectNode body = params == null ? JSON.createObjectNode() : params.deepCopy();
    ObjectNode m = body.putObject("_meta");
    m.put("io.modelcontextprotocol/protocolVersion", VERSION);
    m.putObject("io.modelcontextprotocol/clientCapabilities");
    meta.forEach((name, value) -> m.set(name, JSON.valueToTree(value)));
    return SseTestClient.request(id, method, body);
  }

  public static ObjectNode toolCall(
      Object id, String tool, Map<String, Object> arguments, Map<String, Object> meta) {
    return request(id, "tools/call", SseTestClient.toolCall(tool, arguments), meta);
  }

  /** The POST of {@code body}, with {@code Mcp-Method} and, where the method has one, Mcp-Name. */
  public HttpRequest.Builder post(String key, JsonNode body) {
    String method = body.path("method").asText();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp/" + key))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", VERSION)
            .header("Mcp-Method", method)
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    String name = name(body);
    if (name != null) {
      request.header("Mcp-Name", name);
    }
    return request;
  }

  /** What {@code Mcp-Name} mirrors for this body, or null. */
  public static String name(JsonNode body) {
    return switch (body.path("method").asText()) {
      case "tools/call", "prompts/get" -> body.path("params").path("name").asText();
      case "resources/read" -> body.path("params").path("uri").asText();
      default -> null;
    };
  }

  public HttpResponse<String> send(String key, JsonNode body)
      throws IOException, InterruptedException {
    return http.send(post(key, body).build(), HttpResponse.BodyHandlers.ofString());
  }

  public CompletableFuture<HttpResponse<String>> sendAsync(String key, JsonNode body) {
    return http.sendAsync(post(key, body).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Every JSON-RPC message of a response: the one JSON body, or each SSE event's data. */
  public static List<JsonNode> messages(HttpResponse<String> response) throws IOException {
    List<JsonNode> messages = new ArrayList<>();
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (!type.startsWith("text/event-stream")) {
      messages.add(JSON.readTree(response.body()));
      return messages;
    }
    StringBuilder data = new StringBuilder();
    for (String line : (response.body() + "\n\n").split("\r?\n", -1)) {
      if (line.isEmpty()) {
        if (data.length() > 0) {
          messages.add(JSON.readTree(data.toString()));
          data.setLength(0);
        }
      } else if (line.startsWith("data:")) {
        data.append(line.substring(5).stripLeading());
      }
    }
    return messages;
  }

  /** The last message of a response: its answer. */
  public static JsonNode answer(HttpResponse<String> response) throws IOException {
    List<JsonNode> messages = messages(response);
    return messages.get(messages.size() - 1);
  }

  /** The text of the first content item of a tools/call answer. */
  public static String text(JsonNode answer) {
    return answer.path("result").path("content").path(0).path("text").asText();
  }

  /** {@code data.servers} of {@code /admin/list-running-servers} (loopback, no admin token). */
  public List<JsonNode> running(String key) throws IOException, InterruptedException {
    HttpResponse<String> listed =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/admin/list-running-servers"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, listed.statusCode(), listed.body());
    List<JsonNode> servers = new ArrayList<>();
    for (JsonNode server : JSON.readTree(listed.body()).path("data").path("servers")) {
      if (server.path("server_key").asText().equals(key)) {
        servers.add(server);
      }
    }
    return servers;
  }

  /** Requests in flight at the key's children. */
  public int inFlight(String key) {
    try {
      return running(key).stream().mapToInt(s -> s.path("in_flight").asInt()).sum();
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
