package io.mcprouter.health;

import static io.mcprouter.testsupport.RawExchange.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.RawExchange;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /healthz and /readyz on both ports: states, what verbose shows to whom, and shutting down. */
class HealthEndpointsTest {

  /** Written to stderr and carried in the command line: neither may appear in a probe's answer. */
  private static final String STDERR_MARK = "stderr-only-the-operator-log-sees";

  private static final String ARG_MARK = "an-argument-never-shown";

  private static final String RESTART =
      "mcprouter.restart { min-backoff = 50ms, max-backoff = 100ms, max-crashes = 2, crash-window = 60s }";

  private static TestRouter router;

  @BeforeAll
  static void start() throws Exception {
    router = TestRouter.start(servers(), RESTART);
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static Map<String, ServerSpec> servers() {
    return TestRouter.servers(
        TestRouter.fake("alive", true),
        TestRouter.fake("unused", true),
        new ServerSpec(
            "broken",
            "X=" + ARG_MARK + "; echo " + STDERR_MARK + " >&2; exit 5",
            true,
            Map.of(),
            Optional.empty(),
            Optional.empty()));
  }

  private static JsonNode json(RawExchange.Answer answer) throws Exception {
    return SseTestClient.JSON.readTree(answer.body());
  }

  private static RawExchange.Answer get(int port, String path, String... headerPairs)
      throws Exception {
    return RawExchange.send(port, "GET", path, headers(headerPairs), null);
  }

  @Test
  void healthzAndReadyzAnswer200OnBothPortsWithoutACredential() throws Exception {
    for (int port : new int[] {router.proxyPort(), router.apiPort()}) {
      RawExchange.Answer health = get(port, "/healthz");
      assertEquals(200, health.status(), health.body());
      assertEquals("ok", json(health).path("status").asText());
      assertEquals("no-store", health.header("Cache-Control"));
      RawExchange.Answer ready = get(port, "/readyz");
      assertEquals(200, ready.status(), ready.body());
      JsonNode body = json(ready);
      assertEquals("ready", body.path("status").asText(), ready.body());
      assertTrue(body.path("checks").path("ports_bound").asBoolean(), ready.body());
      assertFalse(body.path("checks").path("shutting_down").asBoolean(true), ready.body());
      assertTrue(body.path("checks").path("registry_answers").asBoolean(), ready.body());
      assertFalse(body.has("keys") || body.has("servers"), "not verbose: " + ready.body());
      assertFalse(json(get(port, "/readyz?verbose=false")).has("keys"));
    }
  }

  @Test
  void verboseListsEachKeysStateAndAFailedKeysReasonWithoutItsStderrOrCommand() throws Exception {
    // call "alive" once (it keeps running) and "broken" until its crash loop bars it
    RawExchange.Answer call =
        RawExchange.send(
            router.apiPort(),
            "POST",
            "/v1/list-tools",
            headers("Authorization", "Bearer alive"),
            null);
    assertEquals(200, call.status(), call.body());
    Await.until(
        Duration.ofSeconds(30),
        "the broken key is barred",
        () -> {
          try {
            return RawExchange.send(
                    router.apiPort(),
                    "POST",
                    "/v1/list-tools",
                    headers("Authorization", "Bearer broken"),
                    null)
                .body()
                .contains("crash-looping");
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    for (int port : new int[] {router.proxyPort(), router.apiPort()}) {
      RawExchange.Answer ready = get(port, "/readyz?verbose");
      // a failed key does not make the router unready
      assertEquals(200, ready.status(), ready.body());
      JsonNode body = json(ready);
      Map<String, JsonNode> byKey = new HashMap<>();
      body.path("servers").forEach(s -> byKey.put(s.path("server_key").asText(), s));
      assertEquals(3, byKey.size(), ready.body());
      assertEquals("running", byKey.get("alive").path("state").asText(), ready.body());
      assertEquals("idle", byKey.get("unused").path("state").asText(), ready.body());
      assertEquals("failed", byKey.get("broken").path("state").asText(), ready.body());
      String reason = byKey.get("broken").path("reason").asText();
      assertTrue(reason.contains("crash-looping"), ready.body());
      assertFalse(byKey.get("alive").has("reason"), ready.body());
      assertEquals(1, body.path("keys").path("running").asInt(), ready.body());
      assertEquals(1, body.path("keys").path("idle").asInt(), ready.body());
      assertEquals(1, body.path("keys").path("failed").asInt(), ready.body());
      assertFalse(ready.body().contains(STDERR_MARK), ready.body());
      assertFalse(ready.body().contains(ARG_MARK), ready.body());
    }
  }

  @Test
  void withAnAdminTokenOnlyItsBearerSeesKeyNames() throws Exception {
    try (TestRouter guarded =
        TestRouter.start(
            TestRouter.config(
                TestRouter.servers(TestRouter.fake("secret-key-name", true)),
                Optional.of("an-admin-token-of-some-length"),
                "http://127.0.0.1:1"),
            CommandLine.Command.SERVE,
            "")) {
      for (int port : new int[] {guarded.proxyPort(), guarded.apiPort()}) {
        for (String[] credential :
            new String[][] {{}, {"Authorization", "Bearer wrong-token-of-some-length"}}) {
          RawExchange.Answer anyone = get(port, "/readyz?verbose", credential);
          assertEquals(200, anyone.status(), anyone.body());
          assertEquals(1, json(anyone).path("keys").path("idle").asInt(), anyone.body());
          assertFalse(json(anyone).has("servers"), anyone.body());
          assertFalse(anyone.body().contains("secret-key-name"), anyone.body());
        }
        RawExchange.Answer operator =
            get(port, "/readyz?verbose", "Authorization", "Bearer an-admin-token-of-some-length");
        assertEquals(
            "secret-key-name",
            json(operator).path("servers").path(0).path("server_key").asText(),
            operator.body());
      }
    }
  }

  @Test
  void readyzIs503OnBothPortsOnceAShutdownHasBegun() throws Exception {
    TestRouter stopping = TestRouter.start(servers(), RESTART);
    CompletableFuture<Done> release = new CompletableFuture<>();
    CompletableFuture<Void> holding = new CompletableFuture<>();
    try {
      // holds the shutdown before the ports unbind, where a load balancer still reaches them
      CoordinatedShutdown.get(stopping.router().system())
          .addTask(
              CoordinatedShutdown.PhaseBeforeServiceUnbind(),
              "hold-for-the-test",
              () -> {
                holding.complete(null);
                return (CompletionStage<Done>) release;
              });
      assertEquals(200, get(stopping.apiPort(), "/readyz").status());
      CompletionStage<Done> stopped = stopping.router().stop();
      holding.get(10, TimeUnit.SECONDS);
      for (int port : new int[] {stopping.proxyPort(), stopping.apiPort()}) {
        RawExchange.Answer ready = get(port, "/readyz?verbose");
        assertEquals(503, ready.status(), ready.body());
        JsonNode body = json(ready);
        assertEquals("not_ready", body.path("status").asText(), ready.body());
        assertTrue(body.path("checks").path("shutting_down").asBoolean(), ready.body());
        // still alive while it drains
        assertEquals(200, get(port, "/healthz").status());
      }
      release.complete(Done.getInstance());
      stopped.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } finally {
      release.complete(Done.getInstance());
      stopping.close();
    }
  }
}
