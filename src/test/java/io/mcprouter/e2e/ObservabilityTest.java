package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.Scrape;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * GET /metrics, the call log and the access log against a real router and real children: the
 * counters move across a scripted run (calls, a crash, refusals), the exposition passes promtool,
 * label values stay bounded when a child lists 10,000 tools, and the logs hold what they should and
 * nothing they must not.
 */
class ObservabilityTest {

  private static final HttpClient http = SseTestClient.newHttpClient();
  private static final ListAppender<ILoggingEvent> calls = new ListAppender<>();
  private static final ListAppender<ILoggingEvent> access = new ListAppender<>();
  private static TestRouter router;
  private static McpHttp mcp;

  @BeforeAll
  static void start() throws Exception {
    // before the router starts: the call log is switched on by its logger's level at start
    attach("mcprouter.calls", calls);
    attach("mcprouter.access", access);
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("obs", true),
                TestRouter.fake("secret", true).withLogPayloads(true),
                TestRouter.fake("crashy", true),
                TestRouter.fake("many", true, "--extra-tools", "10000"),
                TestRouter.fake("inits", true)),
            "mcprouter.access-log.lines-per-second = 5\nmcprouter.stdio.max-line-bytes = 4MiB\n"
                + "mcprouter.session.buffer-bytes = 16MiB");
    mcp = new McpHttp(router.proxyPort());
  }

  private static void attach(String name, ListAppender<ILoggingEvent> appender) {
    Logger logger = (Logger) LoggerFactory.getLogger(name);
    appender.setContext(logger.getLoggerContext());
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(Level.INFO);
    logger.setAdditive(false);
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
    for (String name : List.of("mcprouter.calls", "mcprouter.access")) {
      Logger logger = (Logger) LoggerFactory.getLogger(name);
      logger.detachAndStopAllAppenders();
      logger.setLevel(null);
    }
  }

  private static String scrape(int port) throws Exception {
    return Scrape.metrics(http, port);
  }

  private static double sample(String exposition, String name, String... parts) {
    return Scrape.sample(exposition, name, parts);
  }

  private static HttpResponse<String> postWithOrigin(String origin) throws Exception {
    return mcp.send(mcp.post("obs", null, McpHttp.initializeRequest()).header("Origin", origin));
  }

  @Test
  void countersMoveAcrossCallsACrashAndRefusals() throws Exception {
    String session = mcp.openSession("obs");
    mcp.send(mcp.post("obs", session, SseTestClient.request(2, "tools/list", null)));
    assertEquals("hi", McpHttp.text(mcp.call("obs", session, 3, "echo", Map.of("text", "hi"))));
    assertEquals("ho", McpHttp.text(mcp.call("obs", session, 4, "echo", Map.of("text", "ho"))));

    String crashy = mcp.openSession("crashy");
    HttpResponse<String> crashed = mcp.call("crashy", crashy, 2, "crash", Map.of());
    assertTrue(crashed.body().contains("\"error\""), crashed.body());

    assertEquals(403, postWithOrigin("http://evil.example").statusCode());

    String text = scrape(router.proxyPort());
    assertEquals(
        2,
        sample(
            text,
            "mcp_server_operation_duration_seconds_count",
            "key=\"obs\"",
            "gen_ai_tool_name=\"echo\"",
            "mcp_method_name=\"tools/call\"",
            "outcome=\"ok\"",
            "transport=\"streamable_http\"",
            "era=\"2025\""),
        text);
    assertEquals(
        1,
        sample(
            text,
            "mcp_server_operation_duration_seconds_count",
            "key=\"crashy\"",
            "outcome=\"child_gone\""),
        text);
    Scrape.awaitSample(
        http,
        router.proxyPort(),
        Duration.ofSeconds(10),
        n -> n >= 1,
        "mcprouter_child_exits_total",
        "key=\"crashy\"",
        "cause=\"crashed\"");
    assertTrue(sample(text, "mcprouter_child_starts_total", "key=\"obs\"") >= 1, text);
    assertEquals(1, sample(text, "mcprouter_children_running", "key=\"obs\""), text);
    assertTrue(
        sample(text, "mcprouter_refusals_total", "setting=\"mcprouter.http.allowed-origins\"") >= 1,
        text);
    assertTrue(sample(text, "mcprouter_http_responses_total", "status_class=\"4xx\"") >= 1, text);
    assertTrue(
        sample(text, "mcprouter_sessions_open", "key=\"obs\"", "transport=\"streamable_http\"")
            >= 1,
        text);
    assertTrue(sample(text, "mcprouter_child_bytes_total", "key=\"obs\"") > 0, text);
    assertTrue(
        sample(text, "mcprouter_sessions_opened_total", "key=\"crashy\"", "streamable_http") >= 1,
        text);
    assertTrue(sample(text, "mcprouter_child_initialize_seconds_count", "key=\"obs\"") >= 1, text);
    assertTrue(text.contains("jvm_memory_used_bytes"), "JVM metrics");
    assertFalse(text.contains(session), "no session id in the metrics");
    // the API port serves the same registry
    assertTrue(scrape(router.apiPort()).contains("mcp_server_operation_duration_seconds"));
  }

  @Test
  void theExpositionPassesPromtool() throws Exception {
    String session = mcp.openSession("obs");
    mcp.call("obs", session, 2, "echo", Map.of("text", "x"));
    Path file = Files.createTempFile("metrics", ".prom");
    try {
      Files.writeString(file, scrape(router.proxyPort()));
      // required, not skipped: .ci/run installs Debian's prometheus package for it
      Process promtool =
          new ProcessBuilder("promtool", "check", "metrics")
              .redirectInput(file.toFile())
              .redirectErrorStream(true)
              .start();
      String out = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(promtool.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, promtool.exitValue(), out);
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void toolLabelsStayBoundedWhenAChildListsTenThousandTools() throws Exception {
    String session = mcp.openSession("many");
    HttpResponse<String> list =
        mcp.send(
            mcp.post("many", session, SseTestClient.request(2, "tools/list", null))
                .setHeader("Accept", "application/json"));
    assertTrue(list.body().contains("tool-9999"), "the child lists them all");
    mcp.call("many", session, 3, "tool-5", Map.of());
    mcp.call("many", session, 4, "tool-5000", Map.of());
    mcp.call("many", session, 5, "no-such-tool-" + "x".repeat(50), Map.of());
    String text = scrape(router.proxyPort());
    Set<String> tools = new HashSet<>();
    Matcher m =
        Pattern.compile(
                "key=\"many\"[^}]*gen_ai_tool_name=\"([^\"]*)\"|gen_ai_tool_name=\"([^\"]*)\"[^}]*key=\"many\"")
            .matcher(text);
    while (m.find()) {
      tools.add(m.group(1) != null ? m.group(1) : m.group(2));
    }
    assertTrue(tools.contains("tool-5"), tools.toString());
    assertTrue(tools.contains("other"), tools.toString());
    assertFalse(tools.contains("tool-5000"), "beyond the cap of 100: " + tools);
    assertTrue(tools.size() <= 102, tools.toString());
  }

  private static List<JsonNode> callLines(String key) throws Exception {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(((Logger) LoggerFactory.getLogger("mcprouter.calls")).getLoggerContext());
    encoder.start();
    List<JsonNode> lines = new ArrayList<>();
    for (ILoggingEvent event : List.copyOf(calls.list)) {
      JsonNode line =
          SseTestClient.JSON.readTree(new String(encoder.encode(event), StandardCharsets.UTF_8));
      if (fields(line).path("key").asText().equals(key)) {
        lines.add(line);
      }
    }
    return lines;
  }

  /** The key-value pairs of a JsonEncoder line, as one object. */
  private static JsonNode fields(JsonNode line) {
    ObjectNode all = SseTestClient.JSON.createObjectNode();
    for (JsonNode pair : line.path("kvpList")) {
      pair.fields().forEachRemaining(e -> all.set(e.getKey(), e.getValue()));
    }
    return all;
  }

  @Test
  void theCallLogIsJsonWithTheFieldsAndPayloadsOnlyWhereTheKeyAllowsThem() throws Exception {
    String session = mcp.openSession("obs");
    mcp.call("obs", session, 7, "echo", Map.of("text", "hush-hush"));
    String secret = mcp.openSession("secret");
    mcp.call("secret", secret, 7, "echo", Map.of("text", "shown-here"));
    Await.until(
        Duration.ofSeconds(5),
        "call lines",
        () -> {
          try {
            return !callLines("obs").isEmpty() && !callLines("secret").isEmpty();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    JsonNode obs = null;
    for (JsonNode line : callLines("obs")) {
      if (line.toString().contains("echo")) {
        obs = fields(line);
      }
    }
    assertTrue(obs != null, "an echo line");
    for (String field :
        List.of(
            "time",
            "key",
            "session",
            "transport",
            "era",
            "method",
            "tool",
            "client_name",
            "client_version",
            "duration_ms",
            "outcome",
            "error_code",
            "bytes_in",
            "bytes_out",
            "child_pid",
            "trace_id")) {
      assertTrue(obs.has(field), field + " in " + obs);
    }
    assertEquals("tools/call", obs.path("method").asText());
    assertEquals("echo", obs.path("tool").asText());
    assertEquals("java-test", obs.path("client_name").asText());
    assertEquals("ok", obs.path("outcome").asText());
    assertEquals(session.substring(0, 8), obs.path("session").asText());
    assertFalse(
        callLines("obs").toString().contains("hush-hush"), "no payload without the key's say");
    assertFalse(callLines("obs").toString().contains(session), "no full session id");
    assertTrue(callLines("secret").toString().contains("shown-here"), "log_payloads = true");
  }

  @Test
  void everyClientsInitializeIsACallLineAndTheRoutersOwnAreNot() throws Exception {
    String first = mcp.openSession("inits"); // the child's one initialize
    String second = mcp.openSession("inits"); // answered from the cache
    HttpResponse<String> rest =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.apiPort() + "/v1/list-tools"))
                .header("Authorization", "Bearer inits")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, rest.statusCode(), rest.body());
    Await.until(
        Duration.ofSeconds(5),
        "the REST call's line",
        () -> {
          try {
            return callLines("inits").stream()
                .anyMatch(line -> fields(line).path("transport").asText().equals("rest"));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    List<JsonNode> initializes = new ArrayList<>();
    for (JsonNode line : callLines("inits")) {
      JsonNode call = fields(line);
      if (call.path("method").asText().equals("initialize")) {
        initializes.add(call);
      }
    }
    assertEquals(2, initializes.size(), "one per client session, none for the REST call's");
    Set<String> sessions = new HashSet<>();
    for (JsonNode call : initializes) {
      assertEquals("ok", call.path("outcome").asText(), call.toString());
      assertEquals("java-test", call.path("client_name").asText(), call.toString());
      assertEquals("streamable_http", call.path("transport").asText(), call.toString());
      sessions.add(call.path("session").asText());
    }
    assertEquals(Set.of(first.substring(0, 8), second.substring(0, 8)), sessions);
    assertEquals(
        2,
        sample(
            scrape(router.proxyPort()),
            "mcp_server_operation_duration_seconds_count",
            "key=\"inits\"",
            "mcp_method_name=\"initialize\""));
  }

  private static long accessLines(String reason) {
    return List.copyOf(access.list).stream()
        .filter(e -> e.getFormattedMessage().contains(reason))
        .count();
  }

  @Test
  void refusalsAreInTheAccessLogAndAFloodIsRateLimited() throws Exception {
    HttpResponse<String> unknown =
        mcp.send(mcp.post("no-such-key", null, McpHttp.initializeRequest()));
    assertEquals(404, unknown.statusCode());
    Await.until(Duration.ofSeconds(5), "the 404's line", () -> accessLines("404 POST /mcp") >= 1);
    assertFalse(
        List.copyOf(access.list).toString().contains("no-such-key"),
        "the path beyond its first segment (it may be a secret) is not logged");

    long before = accessLines("Origin not allowed");
    for (int i = 0; i < 200; i++) {
      assertEquals(403, postWithOrigin("http://flood.example").statusCode());
    }
    long flood = accessLines("Origin not allowed") - before;
    assertTrue(flood >= 1, "the first is logged");
    // 5 a second, bursts of 5: 200 requests in a few seconds leave far fewer lines
    assertTrue(flood < 60, flood + " lines for 200 refusals");
  }
}
