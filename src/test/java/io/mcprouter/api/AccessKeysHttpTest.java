package io.mcprouter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.AccessKey;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The access-key matrix over real HTTP (issue 12, item 4): every MCP endpoint and the REST API,
 * with no credential, a server key as bearer, a wrong secret, another key's secret and the right
 * one, in the header and the path form; sessions that only their credential may use; stop rights.
 * Unknown and unauthorized server keys must answer the same bytes. Every log line is scanned for
 * the secrets.
 */
class AccessKeysHttpTest {

  static final String ALICE = "al1ce-7f3c9a0e5b2d48c6"; // alpha only
  static final String BOB = "b0b-e19d4f72a6c05b38"; // beta only, may stop
  static final String CAROL = "car0l-5a8e2c91d7f4036b"; // every server
  static final String ADMIN = "adm1n-0c6f3e8a9d2b5147";
  static final String WRONG = "wr0ng-4d9b1e7c2a5f8036";
  static final List<String> SECRETS = List.of(ALICE, BOB, CAROL, ADMIN, WRONG);

  private static final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private static final Logger root =
      (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private static final Logger akka = (Logger) LoggerFactory.getLogger("akka");
  private static ch.qos.logback.core.Appender<ILoggingEvent> stdout;
  private static ch.qos.logback.classic.Level rootLevel;
  private static TestRouter router;
  private static final HttpClient http = SseTestClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    // INFO and above from every logger, Akka's included: the level the issue says must hold no
    // secret
    log.start();
    root.addAppender(log);
    stdout = root.getAppender("STDOUT");
    root.detachAppender("STDOUT");
    rootLevel = root.getLevel();
    root.setLevel(ch.qos.logback.classic.Level.INFO);
    akka.setLevel(ch.qos.logback.classic.Level.INFO);
    RouterConfig config =
        TestRouter.config(
                TestRouter.servers(TestRouter.fake("alpha", true), TestRouter.fake("beta", true)),
                Optional.of(ADMIN),
                "http://127.0.0.1:1")
            .withAccessKeys(
                List.of(
                    new AccessKey("alice", AccessKey.sha256(ALICE), Set.of("alpha"), false, false),
                    new AccessKey("bob", AccessKey.sha256(BOB), Set.of("beta"), false, true),
                    new AccessKey("carol", AccessKey.sha256(CAROL), Set.of(), true, false)));
    router = TestRouter.start(config, CommandLine.Command.SERVE, "");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      router.close();
    } finally {
      root.detachAppender(log);
      root.setLevel(rootLevel);
      akka.setLevel(ch.qos.logback.classic.Level.WARN);
      if (stdout != null) {
        root.addAppender(stdout);
      }
      List<String> leaks = new ArrayList<>();
      for (ILoggingEvent event : log.list) {
        String line =
            event.getFormattedMessage()
                + (event.getThrowableProxy() == null
                    ? ""
                    : ThrowableProxyUtil.asString(event.getThrowableProxy()));
        SECRETS.stream().filter(line::contains).forEach(secret -> leaks.add(line));
      }
      assertTrue(leaks.isEmpty(), "secrets in log lines: " + leaks);
    }
  }

  record Answer(int status, String body, HttpHeaders headers) {
    JsonNode json() throws Exception {
      return SseTestClient.JSON.readTree(body);
    }
  }

  private static String base(boolean api) {
    return "http://127.0.0.1:" + (api ? router.apiPort() : router.proxyPort());
  }

  private static Answer send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> r =
        http.send(
            request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r.headers());
  }

  private static HttpRequest.Builder withBearer(HttpRequest.Builder request, String bearer) {
    return bearer == null ? request : request.header("Authorization", "Bearer " + bearer);
  }

  /** A Streamable initialize POST to {@code /mcp/<path>}. */
  private static Answer initialize(String path, String bearer) throws Exception {
    return send(withBearer(mcpPost(path, null, McpHttp.initializeRequest()), bearer));
  }

  private static HttpRequest.Builder mcpPost(String path, String session, JsonNode body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base(false) + "/mcp/" + path))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    return session == null
        ? request
        : request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
  }

  private static String openStreamable(String path, String bearer) throws Exception {
    Answer init = initialize(path, bearer);
    assertEquals(200, init.status(), path + " -> " + init.body());
    return init.headers().firstValue("Mcp-Session-Id").orElseThrow();
  }

  private static Answer echoOn(String path, String bearer, String session) throws Exception {
    return send(
        withBearer(
            mcpPost(
                path,
                session,
                SseTestClient.request(
                    7, "tools/call", SseTestClient.toolCall("echo", Map.of("text", "hi")))),
            bearer));
  }

  private static Answer api(String path, String bearer, String body) throws Exception {
    return send(
        withBearer(
            HttpRequest.newBuilder(URI.create(base(true) + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)),
            bearer));
  }

  /** An open legacy SSE stream: the status, and for 200 the endpoint its first event names. */
  private record Sse(int status, String endpoint, String body, InputStream stream)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      stream.close();
    }
  }

  private static Sse openSse(String path, String bearer) throws Exception {
    HttpResponse<InputStream> r =
        http.send(
            withBearer(
                    HttpRequest.newBuilder(URI.create(base(false) + "/sse/" + path))
                        .header("Accept", "text/event-stream")
                        .GET(),
                    bearer)
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) {
      try (InputStream in = r.body()) {
        return new Sse(
            r.statusCode(),
            null,
            new String(in.readAllBytes(), StandardCharsets.UTF_8),
            InputStream.nullInputStream());
      }
    }
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
    String line;
    while ((line = lines.readLine()) != null && !line.startsWith("data:")) {
      // the endpoint event's type line, then its data
    }
    assertNotNull(line, "an endpoint event");
    return new Sse(200, line.substring(5).trim(), "", r.body());
  }

  private static Answer postMessage(String endpoint, String bearer) throws Exception {
    return send(
        withBearer(
            HttpRequest.newBuilder(URI.create(base(false) + endpoint))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        SseTestClient.request(1, "ping", null).toString())),
            bearer));
  }

  @Test
  void streamableNeedsTheRightSecretAndNeverTellsWhichKeysExist() throws Exception {
    Answer none = initialize("alpha", null);
    assertEquals(401, none.status(), none.body());
    assertTrue(
        none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"),
        none.headers().toString());
    Answer serverKeyAsBearer = initialize("alpha", "alpha");
    Answer wrong = initialize("alpha", WRONG);
    Answer noneOnUnknown = initialize("nope", null);
    for (Answer a : List.of(serverKeyAsBearer, wrong, noneOnUnknown)) {
      assertEquals(401, a.status(), a.body());
      assertEquals(
          none.body(),
          a.body(),
          "one answer for every missing or wrong credential, whatever the key");
    }
    Answer otherServersSecret = initialize("alpha", BOB);
    Answer unknown = initialize("nope", BOB);
    assertEquals(404, otherServersSecret.status(), otherServersSecret.body());
    assertEquals(otherServersSecret.status(), unknown.status());
    assertEquals(
        otherServersSecret.body(), unknown.body(), "unauthorized and unknown keys: byte-identical");
    assertFalse(
        unknown.body().contains("nope") || otherServersSecret.body().contains("alpha"),
        "names no key");

    assertEquals(200, initialize("alpha", ALICE).status(), "the right secret in the header");
    assertEquals(200, initialize("alpha", CAROL).status(), "a key for every server");
    assertEquals(200, initialize("alpha", ADMIN).status(), "the admin token");
    assertEquals(
        200, initialize(ALICE, null).status(), "the secret as the path segment: its one server");
    assertEquals(
        200,
        initialize(CAROL + "/beta", null).status(),
        "a key with several servers names one after the secret");
    Answer several = initialize(CAROL, null);
    assertEquals(400, several.status(), several.body());
    assertTrue(several.body().contains("/mcp/<secret>/<server key>"), several.body());
    assertFalse(several.body().contains(CAROL), several.body());
    Answer pathOther = initialize(ALICE + "/beta", null);
    Answer pathUnknown = initialize(ALICE + "/nope", null);
    assertEquals(404, pathOther.status());
    assertEquals(unknown.body(), pathOther.body());
    assertEquals(unknown.body(), pathUnknown.body());
    assertEquals(
        none.body(), initialize(WRONG + "/alpha", null).body(), "a wrong secret in the path");
  }

  @Test
  void aStreamableSessionServesOnlyItsOwnCredential() throws Exception {
    String session = openStreamable("alpha", ALICE);
    assertEquals(200, echoOn("alpha", ALICE, session).status(), "its owner, header form");
    assertEquals(200, echoOn(ALICE, null, session).status(), "its owner, path form");
    Answer none = echoOn("alpha", null, session);
    assertEquals(401, none.status(), none.body());
    Answer carol = echoOn("alpha", CAROL, session);
    Answer carolUnknownSession = echoOn("alpha", CAROL, "0123456789abcdef0123456789abcdef");
    assertEquals(
        404,
        carol.status(),
        "another credential that may use the server still may not use the session: "
            + carol.body());
    assertEquals(
        carolUnknownSession.body(),
        carol.body(),
        "the same answer as a session that does not exist");
    Answer admin = echoOn("alpha", ADMIN, session);
    assertEquals(
        404, admin.status(), "not even the admin token takes over a session: " + admin.body());
    Answer get =
        send(
            withBearer(
                HttpRequest.newBuilder(URI.create(base(false) + "/mcp/alpha"))
                    .header("Accept", "text/event-stream")
                    .header("Mcp-Session-Id", session)
                    .GET(),
                CAROL));
    assertEquals(404, get.status(), "nor its stream (Last-Event-ID replay)");
    Answer delete =
        send(
            withBearer(
                HttpRequest.newBuilder(URI.create(base(false) + "/mcp/alpha"))
                    .header("Mcp-Session-Id", session)
                    .DELETE(),
                CAROL));
    assertEquals(404, delete.status(), "nor end it");
    assertEquals(
        200, echoOn("alpha", ALICE, session).status(), "the session goes on for its owner");
  }

  @Test
  void legacySseNeedsTheRightSecretAndItsMessagesTheSameCredential() throws Exception {
    Sse none = openSse("alpha", null);
    assertEquals(401, none.status(), none.body());
    for (Sse s :
        List.of(openSse("alpha", "alpha"), openSse("alpha", WRONG), openSse("nope", null))) {
      assertEquals(401, s.status());
      assertEquals(none.body(), s.body());
    }
    Sse other = openSse("alpha", BOB);
    Sse unknown = openSse("nope", BOB);
    assertEquals(404, other.status());
    assertEquals(other.body(), unknown.body(), "unauthorized and unknown keys: byte-identical");

    try (Sse header = openSse("alpha", ALICE);
        Sse path = openSse(ALICE, null)) {
      assertEquals(200, header.status());
      assertTrue(header.endpoint().startsWith("/messages?sessionid="), header.endpoint());
      assertEquals(200, path.status());
      assertTrue(
          path.endpoint().startsWith("/messages/" + ALICE + "?sessionid="),
          "a client that cannot set headers posts with the secret in the path as well: "
              + path.endpoint());

      assertEquals(202, postMessage(header.endpoint(), ALICE).status());
      assertEquals(202, postMessage(path.endpoint(), null).status());
      Answer noCredential = postMessage(header.endpoint(), null);
      assertEquals(401, noCredential.status(), noCredential.body());
      Answer carol = postMessage(header.endpoint(), CAROL);
      Answer carolUnknown =
          postMessage("/messages?sessionid=0123456789abcdef0123456789abcdef", CAROL);
      assertEquals(404, carol.status(), carol.body());
      assertEquals(
          carolUnknown.body(),
          carol.body(),
          "another credential's session is a session that does not exist");
      String sessionId = path.endpoint().substring(path.endpoint().indexOf('=') + 1);
      assertEquals(
          carolUnknown.body(),
          postMessage("/messages/" + CAROL + "?sessionid=" + sessionId, null).body(),
          "path form: another secret");
      assertEquals(
          401,
          postMessage("/messages/" + WRONG + "?sessionid=" + sessionId, null).status(),
          "a wrong secret in the path");
      String streamable = openStreamable("alpha", ALICE);
      assertEquals(
          404,
          postMessage("/messages?sessionid=" + streamable, ALICE).status(),
          "a Streamable session is not a legacy one, even for its owner");
    }
  }

  @Test
  void restNeedsAnAccessKeyAndAnswersUnknownAndUnauthorizedAlike() throws Exception {
    String echo = "{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}";
    for (String path : List.of("/v1/list-tools", "/v1/call-tool")) {
      String body = path.endsWith("call-tool") ? echo : "{}";
      assertEquals(401, api(path, null, body).status(), path);
      Answer serverKey = api(path, "alpha", body);
      assertEquals(
          401,
          serverKey.status(),
          "the original bearer, a server key, authorizes nothing now: " + serverKey.body());
      assertEquals(-2, serverKey.json().path("code").asInt());
      assertEquals(401, api(path, WRONG, body).status(), path);
      String withServer = body.replaceFirst("\\{", "{\"server\":\"alpha\",").replace(",}", "}");
      String withUnknown = body.replaceFirst("\\{", "{\"server\":\"nope\",").replace(",}", "}");
      Answer other = api(path, BOB, withServer);
      Answer unknown = api(path, BOB, withUnknown);
      assertEquals(403, other.status(), other.body());
      assertEquals(
          other.body(), unknown.body(), path + ": unauthorized and unknown keys, byte-identical");
      Answer alice = api(path, ALICE, body);
      assertEquals(200, alice.status(), path + " with the key's one server: " + alice.body());
      Answer carol = api(path, CAROL, body);
      assertEquals(400, carol.status(), "a key with several servers names one: " + carol.body());
      assertEquals(200, api(path, CAROL, withServer).status());
    }
    assertEquals(
        "hi",
        api("/v1/call-tool", ALICE, echo)
            .json()
            .path("data")
            .path("content")
            .path(0)
            .path("text")
            .asText());
    JsonNode servers = api("/v1/list-servers", ALICE, "{}").json().path("data").path("servers");
    assertEquals(1, servers.size(), "an access key lists only its servers: " + servers);
    assertEquals("alpha", servers.path(0).path("server_key").asText());
  }

  @Test
  void onlyTheStopRightOrTheAdminTokenStopsAServer() throws Exception {
    assertEquals(200, api("/v1/list-tools", BOB, "{}").status(), "beta running");
    assertEquals(200, api("/v1/list-tools", ALICE, "{}").status(), "alpha running");
    Answer aliceNoRight = api("/v1/stop-server", ALICE, "{\"server_key\":\"alpha\"}");
    assertEquals(403, aliceNoRight.status(), aliceNoRight.body());
    assertTrue(aliceNoRight.body().contains("may_stop"), aliceNoRight.body());
    assertEquals(
        401,
        api("/v1/stop-server", "alpha", "{\"server_key\":\"alpha\"}").status(),
        "a user of a shared key can no longer stop it for everyone");
    Answer bobOther = api("/v1/stop-server", BOB, "{\"server_key\":\"alpha\"}");
    Answer bobUnknown = api("/v1/stop-server", BOB, "{\"server_key\":\"nope\"}");
    assertEquals(403, bobOther.status());
    assertEquals(
        bobOther.body(), bobUnknown.body(), "unauthorized and unknown keys, byte-identical");
    Answer bob = api("/v1/stop-server", BOB, "{\"server_key\":\"beta\"}");
    assertEquals(200, bob.status(), bob.body());
    assertEquals(1, bob.json().path("data").path("processes_stopped").asInt(), bob.body());
    Answer admin = api("/v1/stop-server", ADMIN, "{\"server_key\":\"alpha\"}");
    assertEquals(200, admin.status(), admin.body());

    List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertTrue(
        lines.stream().anyMatch(l -> l.startsWith("stop-server key=beta force=false by=bob")),
        lines.toString());
    assertTrue(
        lines.stream().anyMatch(l -> l.startsWith("stop-server key=alpha force=false by=(admin)")),
        lines.toString());
  }

  @Test
  void theLogSaysWhichAccessKeyDidWhat() throws Exception {
    String session = openStreamable("alpha", ALICE);
    try (Sse sse = openSse(CAROL + "/beta", null)) {
      assertEquals(200, sse.status());
      assertEquals(
          200,
          api("/v1/call-tool", ALICE, "{\"name\":\"echo\",\"arguments\":{\"text\":\"x\"}}")
              .status());
      List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertTrue(
          lines.contains(
              "session authorized key=alpha session="
                  + session.substring(0, 8)
                  + " access_key=alice transport=streamable"),
          lines.toString());
      assertTrue(
          lines.stream()
              .anyMatch(
                  l ->
                      l.matches(
                          "session authorized key=beta session=[0-9a-f]{8} access_key=carol transport=sse")),
          lines.toString());
      assertTrue(
          lines.contains("call-tool key=alpha tool=echo access_key=alice"), lines.toString());
    }
  }
}
