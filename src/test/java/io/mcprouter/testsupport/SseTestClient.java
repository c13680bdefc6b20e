package io.mcprouter.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** A plain HTTP+SSE MCP client over java.net.http, for end-to-end tests against a real router. */
public final class SseTestClient implements AutoCloseable {

  public static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** One SSE event as received. */
  public record Event(String type, String data) {}

  private final HttpClient http;
  private final String base;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final List<JsonNode> unclaimed = new ArrayList<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private volatile Stream<String> lines;
  private final String endpoint;

  private SseTestClient(HttpClient http, String base, String key) throws Exception {
    this.http = http;
    this.base = base;
    HttpResponse<Stream<String>> response =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/sse/" + key))
                .header("Accept", "text/event-stream")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, response.statusCode(), "GET /sse/" + key);
    lines = response.body();
    Thread reader = new Thread(this::readEvents, "sse-reader-" + key);
    reader.setDaemon(true);
    reader.start();
    Event first = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(first, "no endpoint event");
    assertEquals("endpoint", first.type(), "the first event names the endpoint");
    endpoint = first.data();
  }

  public static SseTestClient connect(HttpClient http, int port, String key) throws Exception {
    return new SseTestClient(http, "http://127.0.0.1:" + port, key);
  }

  public static HttpClient newHttpClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  public String endpoint() {
    return endpoint;
  }

  public String sessionId() {
    return endpoint.substring(endpoint.indexOf('=') + 1);
  }

  private void readEvents() {
    String type = "message";
    StringBuilder data = new StringBuilder();
    try {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.isEmpty()) {
          if (data.length() > 0) {
            events.add(new Event(type, data.toString()));
          }
          type = "message";
          data.setLength(0);
        } else if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          if (data.length() > 0) {
            data.append('\n');
          }
          data.append(line.substring(5).stripLeading());
        }
      }
      ended.complete(null);
    } catch (RuntimeException e) {
      ended.complete(null);
    }
  }

  /** POSTs one raw body to this session's endpoint; returns the HTTP response. */
  public HttpResponse<String> postRaw(String body) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + endpoint))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  public void send(JsonNode message) throws Exception {
    HttpResponse<String> response = postRaw(JSON.writeValueAsString(message));
    assertEquals(202, response.statusCode(), "POST " + message + " -> " + response.body());
  }

  public static ObjectNode request(Object id, String method, JsonNode params) {
    ObjectNode node = JSON.createObjectNode().put("jsonrpc", "2.0");
    node.set("id", JSON.valueToTree(id));
    node.put("method", method);
    if (params != null) {
      node.set("params", params);
    }
    return node;
  }

  public static ObjectNode notification(String method, JsonNode params) {
    ObjectNode node = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method);
    if (params != null) {
      node.set("params", params);
    }
    return node;
  }

  public static ObjectNode toolCall(String tool, Object arguments) {
    ObjectNode params = JSON.createObjectNode().put("name", tool);
    params.set("arguments", JSON.valueToTree(arguments));
    return params;
  }

  /**
   * Sends a request and waits for the response carrying the same id (compared exactly, type
   * included).
   */
  public JsonNode call(Object id, String method, JsonNode params) throws Exception {
    ObjectNode request = request(id, method, params);
    send(request);
    return awaitMessage(m -> !m.has("method") && request.get("id").equals(m.get("id")), WAIT);
  }

  /** initialize + notifications/initialized, declaring the given client capabilities. */
  public JsonNode initialize(Object id, JsonNode capabilities) throws Exception {
    ObjectNode params = JSON.createObjectNode().put("protocolVersion", "2024-11-05");
    params.set("capabilities", capabilities == null ? JSON.createObjectNode() : capabilities);
    params.putObject("clientInfo").put("name", "sse-test-client").put("version", "1.0");
    JsonNode response = call(id, "initialize", params);
    send(notification("notifications/initialized", null));
    return response;
  }

  /**
   * The next message (not yet claimed) matching {@code predicate}; others are kept for later calls.
   */
  public synchronized JsonNode awaitMessage(Predicate<JsonNode> predicate, Duration timeout)
      throws Exception {
    for (int i = 0; i < unclaimed.size(); i++) {
      if (predicate.test(unclaimed.get(i))) {
        return unclaimed.remove(i);
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Event event = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
      if (event == null) {
        String seen = unclaimed.toString();
        fail(
            "no matching message within "
                + timeout
                + "; unclaimed: "
                + seen.substring(0, Math.min(2000, seen.length())));
      }
      if (!"message".equals(event.type())) {
        continue;
      }
      JsonNode message = JSON.readTree(event.data());
      if (predicate.test(message)) {
        return message;
      }
      unclaimed.add(message);
    }
  }

  /**
   * Every message received so far that no await has claimed, plus what arrives within {@code
   * settle}.
   */
  public synchronized List<JsonNode> drain(Duration settle) throws Exception {
    List<JsonNode> all = new ArrayList<>(unclaimed);
    unclaimed.clear();
    Event event;
    while ((event = events.poll(settle.toMillis(), TimeUnit.MILLISECONDS)) != null) {
      if ("message".equals(event.type())) {
        all.add(JSON.readTree(event.data()));
      }
    }
    return all;
  }

  /** Completes when the router ends the event stream. */
  public CompletableFuture<Void> ended() {
    return ended;
  }

  @Override
  public void close() {
    Stream<String> s = lines;
    if (s != null) {
      s.close();
    }
  }
}
