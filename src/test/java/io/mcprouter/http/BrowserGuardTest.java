package io.mcprouter.http;

import static io.mcprouter.testsupport.RawExchange.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.RawExchange;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 12, browsers: a DNS-rebinding or cross-site page reaches no path of either port. Every
 * request is a real one on loopback, over a socket when {@code Host} is forged.
 */
class BrowserGuardTest {

  private static final String REBOUND = "127.0.0.1.attacker.example";
  private static final String JSON_TYPE = "application/json";
  private static final String STOP = "{\"server_key\":\"k\",\"force\":true}";
  private static final String INITIALIZE = McpHttp.initializeRequest().toString();

  private static TestRouter router;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("k", true), TestRouter.fake("solo", false)));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  /**
   * One request a page could send: which port, method, path, and the body a real client would send.
   */
  record Target(boolean api, String method, String path, String body) {
    int port() {
      return api ? router.apiPort() : router.proxyPort();
    }

    /** The API envelope on /v1 and /admin, a JSON-RPC error elsewhere. */
    boolean envelope() {
      return api || path.startsWith("/admin");
    }

    Map<String, String> with(Map<String, String> forged) {
      Map<String, String> all = new LinkedHashMap<>(forged);
      if (body != null) {
        all.put("Content-Type", JSON_TYPE);
      }
      all.put("Accept", "application/json, text/event-stream");
      if (api) {
        all.put("Authorization", "Bearer k");
      }
      return all;
    }

    @Override
    public String toString() {
      return (api ? "api " : "proxy ") + method + " " + path;
    }
  }

  /**
   * Every path of both ports, and ones that do not exist yet (a later /metrics must not forget the
   * guard).
   */
  static List<Target> targets() {
    return List.of(
        new Target(false, "GET", "/sse/k", null),
        new Target(
            false,
            "POST",
            "/messages?sessionid=" + "0".repeat(32),
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"),
        new Target(false, "POST", "/mcp/k", INITIALIZE),
        new Target(false, "GET", "/mcp/k", null),
        new Target(false, "DELETE", "/mcp/k", null),
        new Target(false, "GET", "/admin/list-clients", null),
        new Target(false, "GET", "/admin/list-running-servers", null),
        new Target(false, "POST", "/admin/stop-server", STOP),
        new Target(false, "GET", "/health", null),
        new Target(false, "GET", "/healthz", null),
        new Target(false, "GET", "/readyz?verbose", null),
        new Target(false, "GET", "/metrics", null),
        new Target(true, "POST", "/v1/list-tools", ""),
        new Target(
            true, "POST", "/v1/call-tool", "{\"name\":\"echo\",\"arguments\":{\"text\":\"x\"}}"),
        new Target(true, "POST", "/v1/list-servers", "{}"),
        new Target(true, "GET", "/v1/list-running-servers", null),
        new Target(true, "POST", "/v1/stop-server", STOP),
        new Target(true, "GET", "/health", null),
        new Target(true, "GET", "/healthz", null),
        new Target(true, "GET", "/readyz?verbose", null),
        new Target(true, "GET", "/v1/openapi.json", null),
        new Target(true, "GET", "/metrics", null));
  }

  static Stream<Arguments> hostileHeaders() {
    return targets().stream()
        .flatMap(
            t ->
                Stream.of(
                    Arguments.of(t, headers("Host", REBOUND)),
                    Arguments.of(t, headers("Host", REBOUND + ":8025")),
                    Arguments.of(t, headers("Origin", "http://" + REBOUND)),
                    Arguments.of(t, headers("Origin", "http://" + REBOUND + ":8025")),
                    Arguments.of(t, headers("Origin", "null")),
                    Arguments.of(t, headers("Origin", "https://evil.example")),
                    Arguments.of(t, headers("Host", "localhost.attacker.example")),
                    Arguments.of(t, headers("Host", "evil.localhost"))));
  }

  @ParameterizedTest(name = "{0} with {1}")
  @MethodSource("hostileHeaders")
  void aRebindingOrCrossSiteRequestIsRefusedOnEveryPathOfBothPorts(
      Target target, Map<String, String> forged) throws Exception {
    RawExchange.Answer answer =
        RawExchange.send(
            target.port(), target.method(), target.path(), target.with(forged), target.body());
    assertEquals(403, answer.status(), target + " " + forged + ": " + answer.body());
    JsonNode error = SseTestClient.JSON.readTree(answer.body());
    if (target.envelope()) {
      assertEquals(-2, error.path("code").asInt(), answer.body());
      assertFalse(
          error.path("message").asText().contains("mcprouter."),
          "no setting path in a client's text: " + answer.body());
    } else {
      assertEquals(-32600, error.path("error").path("code").asInt(), answer.body());
      assertFalse(
          error.path("error").path("message").asText().contains("mcprouter."), answer.body());
    }
  }

  static Stream<Arguments> loopbackHeaders() {
    return Stream.of(
            headers(),
            headers("Origin", "http://localhost:3000"),
            headers("Origin", "http://127.0.0.1:6274"),
            headers("Origin", "http://[::1]:8080"),
            headers("Origin", "https://localhost"),
            headers("Host", "localhost:8025"),
            headers("Host", "127.0.0.1"),
            headers("Host", "127.5.6.7:80"),
            headers("Host", "[::1]:8025"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("loopbackHeaders")
  void loopbackOriginsAndHostsStillPass(Map<String, String> forged) throws Exception {
    for (Target target :
        List.of(
            new Target(false, "GET", "/health", null),
            new Target(true, "GET", "/health", null),
            new Target(false, "GET", "/admin/list-clients", null),
            new Target(true, "POST", "/v1/list-servers", "{}"),
            new Target(false, "POST", "/mcp/k", INITIALIZE))) {
      RawExchange.Answer answer =
          RawExchange.send(
              target.port(), target.method(), target.path(), target.with(forged), target.body());
      assertEquals(200, answer.status(), target + " " + forged + ": " + answer.body());
    }
  }

  @Test
  void allowListedOriginsAndHostsPass() throws Exception {
    try (TestRouter listed =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("k", true)),
            String.join(
                "\n",
                "mcprouter.http.allowed-origins = [\"https://app.example.com\", \"null\"]",
                "mcprouter.http.allowed-hosts = [\"router.internal\", \"other.internal:9000\"]"))) {
      for (int port : new int[] {listed.proxyPort(), listed.apiPort()}) {
        for (Map<String, String> allowed :
            List.of(
                headers("Origin", "https://app.example.com"),
                headers("Origin", "null"),
                headers("Host", "router.internal"),
                headers("Host", "router.internal:8025"),
                headers("Host", "other.internal:9000"))) {
          assertEquals(
              200,
              RawExchange.send(port, "GET", "/health", allowed, null).status(),
              port + " " + allowed);
        }
        for (Map<String, String> refused :
            List.of(
                headers("Origin", "http://app.example.com"),
                headers("Host", "other.internal:9001"),
                headers("Host", "router.internal.attacker.example"))) {
          assertEquals(
              403,
              RawExchange.send(port, "GET", "/health", refused, null).status(),
              port + " " + refused);
        }
      }
    }
  }

  @Test
  void aCrossSiteTextPlainPostStopsNothing() throws Exception {
    McpHttp mcp = new McpHttp(router.proxyPort());
    mcp.openSession("k"); // the shared child runs
    long pid = runningPid("k");
    // what an HTML form (enctype=text/plain) or fetch(no-cors) sends: no preflight, so only the
    // router can refuse it
    RawExchange.Answer crossSite =
        RawExchange.send(
            router.proxyPort(),
            "POST",
            "/admin/stop-server",
            headers("Origin", "https://evil.example", "Content-Type", "text/plain"),
            STOP);
    assertEquals(403, crossSite.status(), crossSite.body());
    RawExchange.Answer noOrigin =
        RawExchange.send(
            router.proxyPort(),
            "POST",
            "/admin/stop-server",
            headers("Content-Type", "text/plain"),
            STOP);
    assertEquals(415, noOrigin.status(), noOrigin.body());
    assertEquals(
        -1,
        SseTestClient.JSON.readTree(noOrigin.body()).path("code").asInt(),
        "the API envelope: " + noOrigin.body());
    assertTrue(noOrigin.body().contains("application/json"), noOrigin.body());
    RawExchange.Answer untyped =
        RawExchange.send(router.proxyPort(), "POST", "/admin/stop-server", headers(), STOP);
    assertEquals(415, untyped.status(), "a body without a Content-Type: " + untyped.body());
    RawExchange.Answer form =
        RawExchange.send(
            router.apiPort(),
            "POST",
            "/v1/stop-server",
            headers(
                "Content-Type", "application/x-www-form-urlencoded", "Authorization", "Bearer k"),
            STOP);
    assertEquals(415, form.status(), form.body());
    assertEquals(pid, runningPid("k"), "the child still runs");
    assertTrue(Processes.alive(pid));
  }

  @Test
  void bodiesNeedAJsonContentTypeOnEveryPort() throws Exception {
    String ping = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}";
    RawExchange.Answer mcp =
        RawExchange.send(
            router.proxyPort(),
            "POST",
            "/mcp/k",
            headers("Content-Type", "text/plain", "Accept", "application/json, text/event-stream"),
            INITIALIZE);
    assertEquals(415, mcp.status(), mcp.body());
    assertEquals(
        -32600,
        SseTestClient.JSON.readTree(mcp.body()).path("error").path("code").asInt(),
        "a JSON-RPC error: " + mcp.body());
    assertEquals(
        415,
        RawExchange.send(
                router.proxyPort(),
                "POST",
                "/messages?sessionid=" + "0".repeat(32),
                headers("Content-Type", "text/plain"),
                ping)
            .status());
    RawExchange.Answer api =
        RawExchange.send(
            router.apiPort(),
            "POST",
            "/v1/call-tool",
            headers("Content-Type", "text/plain", "Authorization", "Bearer k"),
            "{\"name\":\"echo\",\"arguments\":{\"text\":\"x\"}}");
    assertEquals(415, api.status(), api.body());
    assertEquals(
        -1,
        SseTestClient.JSON.readTree(api.body()).path("code").asInt(),
        "the API envelope: " + api.body());
    // JSON with parameters, and a body-less POST with or without a type (the README's list-tools
    // curl)
    assertEquals(
        200,
        RawExchange.send(
                router.apiPort(),
                "POST",
                "/v1/call-tool",
                headers(
                    "Content-Type", "application/json; charset=utf-8", "Authorization", "Bearer k"),
                "{\"name\":\"echo\",\"arguments\":{\"text\":\"x\"}}")
            .status());
    assertEquals(
        200,
        RawExchange.send(
                router.apiPort(),
                "POST",
                "/v1/list-tools",
                headers("Content-Type", JSON_TYPE, "Authorization", "Bearer k"),
                null)
            .status());
    assertEquals(
        200,
        RawExchange.send(
                router.apiPort(),
                "POST",
                "/v1/list-tools",
                headers("Authorization", "Bearer k"),
                null)
            .status());
  }

  @Test
  void aStreamableSessionIdIsUnknownOnMessages() throws Exception {
    McpHttp mcp = new McpHttp(router.proxyPort());
    String streamable = mcp.openSession("solo");
    String unknown = "f".repeat(32);
    String injected = "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"tools/list\"}";
    RawExchange.Answer crossed =
        RawExchange.send(
            router.proxyPort(),
            "POST",
            "/messages?sessionid=" + streamable,
            headers("Content-Type", JSON_TYPE),
            injected);
    RawExchange.Answer none =
        RawExchange.send(
            router.proxyPort(),
            "POST",
            "/messages?sessionid=" + unknown,
            headers("Content-Type", JSON_TYPE),
            injected);
    assertEquals(404, crossed.status(), crossed.body());
    assertEquals(none.body(), crossed.body(), "the same answer as for no session at all");
    JsonNode stats =
        SseTestClient.JSON.readTree(
            McpHttp.text(mcp.call("solo", streamable, 2, "stats", Map.of())));
    assertEquals(
        0,
        stats.path("toolsList").asInt(),
        "the Streamable session's child received nothing: " + stats);
  }

  @Test
  void aLegacySessionIdIsUnknownOnMcp() throws Exception {
    McpHttp mcp = new McpHttp(router.proxyPort());
    try (SseTestClient legacy =
        SseTestClient.connect(SseTestClient.newHttpClient(), router.proxyPort(), "k")) {
      legacy.initialize(1, null);
      String id = legacy.sessionId();
      String unknown = "f".repeat(32);
      String ping = SseTestClient.request(5, "ping", null).toString();
      RawExchange.Answer post =
          RawExchange.send(
              router.proxyPort(),
              "POST",
              "/mcp/k",
              headers(
                  "Content-Type",
                  JSON_TYPE,
                  "Accept",
                  "application/json, text/event-stream",
                  "Mcp-Session-Id",
                  id),
              ping);
      RawExchange.Answer postUnknown =
          RawExchange.send(
              router.proxyPort(),
              "POST",
              "/mcp/k",
              headers(
                  "Content-Type",
                  JSON_TYPE,
                  "Accept",
                  "application/json, text/event-stream",
                  "Mcp-Session-Id",
                  unknown),
              ping);
      assertEquals(404, post.status(), post.body());
      assertEquals(postUnknown.body(), post.body());
      RawExchange.Answer replay =
          RawExchange.send(
              router.proxyPort(),
              "GET",
              "/mcp/k",
              headers("Accept", "text/event-stream", "Mcp-Session-Id", id, "Last-Event-ID", "0.1"),
              null);
      assertEquals(
          404, replay.status(), "no replay of a legacy session's events: " + replay.body());
      assertEquals(
          404,
          RawExchange.send(
                  router.proxyPort(), "DELETE", "/mcp/k", headers("Mcp-Session-Id", id), null)
              .status());
      assertEquals(
          "still mine",
          legacy
              .call(6, "tools/call", SseTestClient.toolCall("echo", Map.of("text", "still mine")))
              .path("result")
              .path("content")
              .path(0)
              .path("text")
              .asText(),
          "the legacy session was not ended");
    }
  }

  @Test
  void adminListsNoFullSessionId() throws Exception {
    McpHttp mcp = new McpHttp(router.proxyPort());
    String streamable = mcp.openSession("k");
    try (SseTestClient legacy =
        SseTestClient.connect(SseTestClient.newHttpClient(), router.proxyPort(), "k")) {
      RawExchange.Answer listed =
          RawExchange.send(router.proxyPort(), "GET", "/admin/list-clients", headers(), null);
      assertEquals(200, listed.status(), listed.body());
      assertFalse(listed.body().contains(streamable), listed.body());
      assertFalse(listed.body().contains(legacy.sessionId()), listed.body());
      List<String> shown = mcp.clients("k");
      assertTrue(
          shown.contains(McpHttp.prefix(streamable))
              && shown.contains(McpHttp.prefix(legacy.sessionId())),
          shown.toString());
      shown.forEach(prefix -> assertEquals(8, prefix.length(), shown.toString()));
    }
  }

  @Test
  void noServerHeaderOnEitherPort() throws Exception {
    for (int port : new int[] {router.proxyPort(), router.apiPort()}) {
      for (String path :
          List.of("/health", "/healthz", "/readyz?verbose", "/v1/openapi.json", "/nothing-here")) {
        RawExchange.Answer answer = RawExchange.send(port, "GET", path, headers(), null);
        assertNull(answer.header("Server"), port + path + " " + answer.headers());
      }
      assertNull(
          RawExchange.send(port, "GET", "/health", headers("Host", REBOUND), null)
              .header("Server"));
    }
  }

  @Test
  void clientErrorTextsNameNoSettingOrLibrary() throws Exception {
    String deep =
        "{\"name\":\"echo\",\"arguments\":{\"text\":"
            + "[".repeat(10_000)
            + "]".repeat(10_000)
            + "}}";
    List<RawExchange.Answer> answers =
        List.of(
            RawExchange.send(
                router.apiPort(),
                "POST",
                "/v1/call-tool",
                headers("Content-Type", JSON_TYPE, "Authorization", "Bearer k"),
                deep),
            RawExchange.send(
                router.proxyPort(),
                "POST",
                "/mcp/k",
                headers("Content-Type", JSON_TYPE, "Accept", "application/json, text/event-stream"),
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
                    + "[".repeat(10_000)
                    + "]".repeat(10_000)
                    + "}"),
            RawExchange.send(
                router.apiPort(),
                "POST",
                "/v1/call-tool",
                headers(
                    "Content-Type",
                    JSON_TYPE,
                    "Authorization",
                    "Bearer k",
                    "Content-Length",
                    "999999999"),
                null),
            RawExchange.send(
                router.proxyPort(),
                "POST",
                "/mcp/k",
                headers("Content-Type", JSON_TYPE, "Accept", "application/json, text/event-stream"),
                "{\"pad\":\"" + "x".repeat(70_000) + "\"}"),
            RawExchange.send(router.apiPort(), "PUT", "/v1/call-tool", headers(), null),
            RawExchange.send(router.proxyPort(), "GET", "/admin/stop-server", headers(), null),
            RawExchange.send(router.proxyPort(), "GET", "/health", headers("Origin", "null"), null),
            RawExchange.send(router.proxyPort(), "GET", "/health", headers("Host", REBOUND), null));
    for (RawExchange.Answer answer : answers) {
      assertTrue(
          answer.status() >= 400 && answer.status() < 500, answer.status() + " " + answer.body());
      String text = answer.body().toLowerCase(Locale.ROOT);
      assertFalse(
          text.contains("mcprouter.")
              || text.contains("akka")
              || text.contains("jackson")
              || text.contains("exception"),
          answer.status() + " " + answer.body());
    }
  }

  private static long runningPid(String key) throws Exception {
    RawExchange.Answer running =
        RawExchange.send(router.proxyPort(), "GET", "/admin/list-running-servers", headers(), null);
    for (JsonNode server :
        SseTestClient.JSON.readTree(running.body()).path("data").path("servers")) {
      if (server.path("server_key").asText().equals(key)) {
        return server.path("pid").asLong();
      }
    }
    throw new AssertionError(key + " is not running: " + running.body());
  }
}
