package io.mcprouter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The REST API and operator stops against real children, over real HTTP. */
class RestApiTest {

  private static TestRouter router;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    Path everything = Path.of("it/node_modules/.bin/mcp-server-everything").toAbsolutePath();
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("fetch", true),
                TestRouter.fake("other", true),
                TestRouter.fake("slow", true),
                TestRouter.fake("victim", true),
                TestRouter.fake("timeouts", true),
                TestRouter.fake("dedicated", false),
                new ServerSpec(
                    "everything",
                    everything.toString(),
                    true,
                    Map.of(),
                    Optional.empty(),
                    Optional.of("demo"))),
            // short enough for the timeout test, long enough for a child JVM to start on a loaded
            // machine
            "mcprouter.api.call-timeout = 5s");
    api = new ApiClient(router.apiPort());
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static String call(String key, String tool, String arguments) {
    return "{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}";
  }

  private static JsonNode stats(String key) throws Exception {
    return SseTestClient.JSON.readTree(
        api.post("/v1/call-tool", key, call(key, "stats", "{}")).text());
  }

  @Test
  void listToolsAndCallToolUseOneChildAndTheToolListIsCachedUntilListChanged() throws Exception {
    ApiClient.Answer tools = api.post("/v1/list-tools", "fetch", "");
    assertEquals(200, tools.status(), tools.body().toString());
    assertEquals(0, tools.code());
    assertTrue(tools.data().path("tools").toString().contains("\"echo\""), tools.body().toString());
    ApiClient.Answer echo =
        api.post("/v1/call-tool", "fetch", call("fetch", "echo", "{\"text\":\"via REST\"}"));
    assertEquals(200, echo.status());
    assertEquals("via REST", echo.text());

    int listed = stats("fetch").path("toolsList").asInt();
    api.post("/v1/list-tools", "fetch", "{}");
    assertEquals(listed, stats("fetch").path("toolsList").asInt(), "served from the cache");
    assertEquals(
        "notified", api.post("/v1/call-tool", "fetch", call("fetch", "notify", "{}")).text());
    Await.until(
        Duration.ofSeconds(5),
        "list_changed refreshes the cache",
        () -> {
          try {
            api.post("/v1/list-tools", "fetch", "{}");
            return stats("fetch").path("toolsList").asInt() == listed + 1;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    assertEquals(
        1,
        stats("fetch").path("initialize").asInt(),
        "every API call reused one initialized child");
  }

  @Test
  void twoConcurrentCallsOnOneKeyShareOneChild() throws Exception {
    CompletableFuture<ApiClient.Answer> a =
        api.postAsync(
            "/v1/call-tool", "other", call("other", "sleep", "{\"ms\":300,\"text\":\"a\"}"));
    CompletableFuture<ApiClient.Answer> b =
        api.postAsync(
            "/v1/call-tool", "other", call("other", "sleep", "{\"ms\":300,\"text\":\"b\"}"));
    assertEquals("a", a.get(10, TimeUnit.SECONDS).text());
    assertEquals("b", b.get(10, TimeUnit.SECONDS).text());
    JsonNode running = api.get("/v1/list-running-servers", "other").data().path("servers");
    assertEquals(1, running.size(), running.toString());
    JsonNode entry = running.get(0);
    assertEquals("other", entry.path("server_key").asText());
    assertEquals("running", entry.path("status").asText());
    assertTrue(entry.path("pid").asLong() > 0);
    assertEquals(0, entry.path("sessions").asInt());
    assertEquals(0, entry.path("in_flight").asInt());
    assertTrue(entry.path("started_at").asText().matches("\\d{4}-.*Z"), entry.toString());
    assertEquals(0, entry.path("restarts").asInt());
    assertTrue(entry.path("share_process").asBoolean());
  }

  @Test
  void aRealServerEverythingIsListedAndCalled() throws Exception {
    ApiClient.Answer tools = api.post("/v1/list-tools", "everything", "");
    assertEquals(0, tools.code(), tools.body().toString());
    assertTrue(tools.data().path("tools").toString().contains("\"echo\""));
    ApiClient.Answer echo =
        api.post(
            "/v1/call-tool",
            "everything",
            "{\"name\":\"echo\",\"arguments\":{\"message\":\"hi\"}}");
    assertEquals("Echo: hi", echo.text(), echo.body().toString());
  }

  @Test
  void aCallThatTimesOutIs504AndIsCancelledAtTheChild() throws Exception {
    ApiClient.Answer slow =
        api.post("/v1/call-tool", "timeouts", call("timeouts", "sleep", "{\"ms\":20000}"));
    assertEquals(504, slow.status(), slow.body().toString());
    assertEquals(-1, slow.code());
    Await.until(
        Duration.ofSeconds(5),
        "the child was told to cancel",
        () -> {
          try {
            return stats("timeouts").path("cancelled").size() == 1;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Test
  void errorsOfTheServerAre502WithItsJsonRpcError() throws Exception {
    ApiClient.Answer unknown =
        api.post("/v1/call-tool", "fetch", call("fetch", "no_such_tool", "{}"));
    assertEquals(502, unknown.status());
    assertEquals(-1, unknown.code());
    assertTrue(
        unknown.body().path("message").asText().contains("unknown tool"),
        unknown.body().toString());
    assertEquals(-32602, unknown.data().path("code").asInt());
  }

  @Test
  void authorizationAndBadInputGetClearEnvelopes() throws Exception {
    ApiClient.Answer missing = api.post("/v1/list-tools", null, "");
    assertEquals(401, missing.status());
    assertEquals(-2, missing.code());
    ApiClient.Answer wrong = api.post("/v1/list-tools", "nope", "");
    assertEquals(401, wrong.status());
    assertEquals(-2, wrong.code());
    ApiClient.Answer otherKey = api.post("/v1/list-tools", "fetch", "{\"server\":\"other\"}");
    assertEquals(403, otherKey.status());
    assertEquals(-2, otherKey.code());
    ApiClient.Answer stopOther =
        api.post("/v1/stop-server", "fetch", "{\"server_key\":\"other\",\"force\":false}");
    assertEquals(403, stopOther.status());
    ApiClient.Answer badJson = api.post("/v1/call-tool", "fetch", "{\"name\":");
    assertEquals(400, badJson.status());
    assertEquals(-1, badJson.code());
    assertEquals(400, api.post("/v1/call-tool", "fetch", "[1]").status());
    assertEquals(400, api.post("/v1/call-tool", "fetch", "{\"arguments\":{}}").status());
    assertEquals(
        400, api.post("/v1/call-tool", "fetch", "{\"name\":\"echo\",\"arguments\":3}").status());
    assertEquals(
        400,
        api.post("/v1/stop-server", "fetch", "{\"server_key\":\"fetch\",\"force\":\"yes\"}")
            .status());
    assertEquals(400, api.post("/v1/list-servers", "fetch", "{\"page\":0}").status());
    ApiClient.Answer badInfo =
        api.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.apiPort() + "/v1/list-tools"))
                .header("Authorization", "Bearer fetch")
                .header("X-Client-Info", "{not json")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(400, badInfo.status());
    assertTrue(badInfo.body().path("message").asText().contains("X-Client-Info"));
    ApiClient.Answer goodInfo =
        api.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.apiPort() + "/v1/list-tools"))
                .header("Authorization", "Bearer fetch")
                .header("X-Client-Info", "{\"name\":\"t\",\"version\":\"1\"}")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertEquals(200, goodInfo.status());
    ApiClient.Answer notFound = api.get("/v1/nothing-here", "fetch");
    assertEquals(404, notFound.status());
    assertEquals(-1, notFound.code());
  }

  @Test
  void listServersShowsOnlyWhatTheKeyMaySeeWithPaging() throws Exception {
    ApiClient.Answer mine = api.post("/v1/list-servers", "everything", "{\"page\":1,\"limit\":30}");
    assertEquals(0, mine.code());
    JsonNode servers = mine.data().path("servers");
    assertEquals(1, servers.size(), mine.body().toString());
    assertEquals("everything", servers.get(0).path("server_key").asText());
    assertEquals("demo", servers.get(0).path("description").asText());
    assertTrue(servers.get(0).path("share_process").asBoolean());
    assertEquals(1, mine.data().path("total").asInt());
    assertEquals(
        0,
        api.post("/v1/list-servers", "everything", "{\"page\":2,\"limit\":30}")
            .data()
            .path("servers")
            .size());
  }

  @Test
  void stoppingAKeyThatIsNotRunningIs404() throws Exception {
    ApiClient.Answer answer =
        api.post("/v1/stop-server", "dedicated", "{\"server_key\":\"dedicated\",\"force\":false}");
    assertEquals(404, answer.status());
    assertEquals(-1, answer.code());
    assertTrue(answer.body().path("message").asText().contains("not running"));
  }

  @Test
  void gracefulStopLetsFiveSlowCallsFinishThenTheChildIsGone() throws Exception {
    long pid = Long.parseLong(api.post("/v1/call-tool", "slow", call("slow", "pid", "{}")).text());
    List<CompletableFuture<ApiClient.Answer>> calls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      calls.add(
          api.postAsync(
              "/v1/call-tool",
              "slow",
              call("slow", "sleep", "{\"ms\":700,\"text\":\"done " + i + "\"}")));
    }
    Await.until(
        Duration.ofSeconds(5),
        "five calls in flight",
        () -> {
          try {
            return api.get("/v1/list-running-servers", "slow")
                    .data()
                    .path("servers")
                    .path(0)
                    .path("in_flight")
                    .asInt()
                == 5;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    ApiClient.Answer stopped =
        api.post("/v1/stop-server", "slow", "{\"server_key\":\"slow\",\"force\":false}");
    assertEquals(200, stopped.status(), stopped.body().toString());
    for (int i = 0; i < 5; i++) {
      assertEquals("done " + i, calls.get(i).get(10, TimeUnit.SECONDS).text());
    }
    assertEquals(5, stopped.data().path("requests_completed").asInt(), stopped.body().toString());
    assertEquals(0, stopped.data().path("requests_failed").asInt());
    assertEquals(1, stopped.data().path("processes_stopped").asInt());
    assertEquals(pid, stopped.data().path("pids").path(0).asLong());
    assertFalse(Processes.alive(pid));
    // the next request starts a fresh child
    long next = Long.parseLong(api.post("/v1/call-tool", "slow", call("slow", "pid", "{}")).text());
    assertTrue(next != pid);
  }

  @Test
  void forcedStopFailsCallsAtOnceAndKillsTheTree() throws Exception {
    long pid =
        Long.parseLong(api.post("/v1/call-tool", "victim", call("victim", "pid", "{}")).text());
    long grandchild =
        Long.parseLong(
            api.post("/v1/call-tool", "victim", call("victim", "spawn_child", "{}")).text());
    try (SseTestClient client =
        SseTestClient.connect(SseTestClient.newHttpClient(), router.proxyPort(), "victim")) {
      client.initialize(1, null);
      client.send(
          SseTestClient.request(
              2, "tools/call", SseTestClient.toolCall("sleep", Map.of("ms", 30_000))));
      CompletableFuture<ApiClient.Answer> restCall =
          api.postAsync("/v1/call-tool", "victim", call("victim", "sleep", "{\"ms\":30000}"));
      Await.until(
          Duration.ofSeconds(5),
          "two calls in flight",
          () -> {
            try {
              return api.get("/v1/list-running-servers", "victim")
                      .data()
                      .path("servers")
                      .path(0)
                      .path("in_flight")
                      .asInt()
                  == 2;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      ApiClient.Answer stopped =
          api.post("/v1/stop-server", "victim", "{\"server_key\":\"victim\",\"force\":true}");
      assertEquals(200, stopped.status(), stopped.body().toString());
      JsonNode sseError =
          client.awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(5));
      assertTrue(
          sseError.path("error").path("message").asText().contains("force-stopped"),
          sseError.toString());
      ApiClient.Answer restFailed = restCall.get(5, TimeUnit.SECONDS);
      assertEquals(502, restFailed.status(), restFailed.body().toString());
      // a forced stop does not wait for the calls: both were failed before the 30 s sleeps could
      // end
      Await.until(
          Duration.ofSeconds(5),
          "child and grandchild gone",
          () -> !Processes.alive(pid) && !Processes.alive(grandchild));
      assertEquals(2, stopped.data().path("requests_failed").asInt(), stopped.body().toString());
      client.ended().get(5, TimeUnit.SECONDS);
    }
  }
}
