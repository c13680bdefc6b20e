package io.mcprouter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The admin token, /admin on the proxy port, and `api` running alone acting on the proxy's servers.
 */
class AdminAndRemoteControlTest {

  private static final String TOKEN = "s3cret-admin-token";

  @Test
  void withoutAnAdminTokenAdminAnswersLoopbackCallers() throws Exception {
    try (TestRouter router = TestRouter.start(TestRouter.servers(TestRouter.fake("fetch", true)))) {
      ApiClient admin = new ApiClient(router.proxyPort());
      try (SseTestClient client =
          SseTestClient.connect(SseTestClient.newHttpClient(), router.proxyPort(), "fetch")) {
        ApiClient.Answer clients = admin.get("/admin/list-clients", null);
        assertEquals(200, clients.status());
        JsonNode listed = clients.data().path("clients");
        assertEquals(1, listed.size(), clients.body().toString());
        // an 8-character prefix, never the whole id (issue 12): whoever reads the list cannot use
        // it
        assertEquals(client.sessionId().substring(0, 8), listed.get(0).path("session_id").asText());
        assertEquals("fetch", listed.get(0).path("server_key").asText());
      }
    }
  }

  @Test
  void anAdminTokenIsRequiredByAdminAndAuthorizesEveryKey() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.config(
                TestRouter.servers(TestRouter.fake("fetch", true), TestRouter.fake("other", true)),
                Optional.of(TOKEN),
                "http://127.0.0.1:1"),
            CommandLine.Command.SERVE,
            "")) {
      ApiClient proxy = new ApiClient(router.proxyPort());
      ApiClient api = new ApiClient(router.apiPort());
      ApiClient.Answer missing = proxy.get("/admin/list-clients", null);
      assertEquals(401, missing.status());
      assertEquals(-2, missing.code());
      assertEquals(
          403,
          proxy.get("/admin/list-clients", "fetch").status(),
          "a server key is not the admin token");
      assertEquals(200, proxy.get("/admin/list-clients", TOKEN).status());

      ApiClient.Answer noServer = api.post("/v1/list-tools", TOKEN, "");
      assertEquals(400, noServer.status(), "the admin names the server");
      assertEquals(0, api.post("/v1/list-tools", TOKEN, "{\"server\":\"other\"}").code());
      assertEquals(2, api.post("/v1/list-servers", TOKEN, "").data().path("servers").size());
      ApiClient.Answer stopped =
          api.post("/v1/stop-server", TOKEN, "{\"server_key\":\"other\",\"force\":true}");
      assertEquals(200, stopped.status(), stopped.body().toString());
      assertEquals(
          403, api.post("/v1/stop-server", "fetch", "{\"server_key\":\"other\"}").status());
    }
  }

  @Test
  void aChildsStderrIsListedForTheOperatorAndNeverForAKeysUsers() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.config(
                TestRouter.servers(TestRouter.fake("fetch", true)),
                Optional.of(TOKEN),
                "http://127.0.0.1:1"),
            CommandLine.Command.SERVE,
            "")) {
      ApiClient api = new ApiClient(router.apiPort());
      ApiClient proxy = new ApiClient(router.proxyPort());
      assertEquals(
          0,
          api.post(
                  "/v1/call-tool",
                  "fetch",
                  "{\"name\":\"stderr\",\"arguments\":{\"text\":\"user 7 token=abc\"}}")
              .code());
      // stderr is read by its own stream, so the line may land a moment after the answer
      Await.until(
          Duration.ofSeconds(5),
          "the operator sees the line",
          () -> {
            try {
              return proxy
                  .get("/admin/list-running-servers", TOKEN)
                  .data()
                  .path("servers")
                  .path(0)
                  .path("stderr_tail")
                  .toString()
                  .contains("user 7 token=abc");
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      JsonNode asAdmin = api.get("/v1/list-running-servers", TOKEN).data().path("servers").path(0);
      assertTrue(
          asAdmin.path("stderr_tail").toString().contains("user 7 token=abc"), asAdmin.toString());
      JsonNode asUser = api.get("/v1/list-running-servers", "fetch").data().path("servers").path(0);
      assertEquals("fetch", asUser.path("server_key").asText());
      assertTrue(
          asUser.path("stderr_tail").isMissingNode(),
          "a key's users do not see its stderr: " + asUser);
    }
  }

  @Test
  void apiRunningAloneStopsAndListsTheProxysServersThroughAdmin() throws Exception {
    var servers = TestRouter.servers(TestRouter.fake("fetch", true));
    try (TestRouter proxy =
        TestRouter.start(
            TestRouter.config(servers, Optional.of(TOKEN), "http://127.0.0.1:1"),
            CommandLine.Command.PROXY,
            "")) {
      try (TestRouter api =
          TestRouter.start(
              TestRouter.config(
                  servers, Optional.of(TOKEN), "http://127.0.0.1:" + proxy.proxyPort()),
              CommandLine.Command.API,
              "")) {
        ApiClient rest = new ApiClient(api.apiPort());
        try (SseTestClient client =
            SseTestClient.connect(SseTestClient.newHttpClient(), proxy.proxyPort(), "fetch")) {
          client.initialize(1, null);
          long pid =
              Long.parseLong(
                  client
                      .call(2, "tools/call", SseTestClient.toolCall("pid", Map.of()))
                      .path("result")
                      .path("content")
                      .path(0)
                      .path("text")
                      .asText());
          JsonNode running = rest.get("/v1/list-running-servers", "fetch").data().path("servers");
          assertEquals(1, running.size(), running.toString());
          assertEquals(
              pid,
              running.get(0).path("pid").asLong(),
              "the proxy's child, not one of the api process");
          assertEquals(1, running.get(0).path("sessions").asInt());
          ApiClient.Answer stopped =
              rest.post("/v1/stop-server", "fetch", "{\"server_key\":\"fetch\",\"force\":true}");
          assertEquals(200, stopped.status(), stopped.body().toString());
          assertEquals(pid, stopped.data().path("pids").path(0).asLong());
          Await.until(
              Duration.ofSeconds(2), "the proxy's child is gone", () -> !Processes.alive(pid));
          client.ended().get(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void apiAloneReportsAnUnreachableProxyAs502() throws Exception {
    try (TestRouter api =
        TestRouter.start(
            TestRouter.config(
                TestRouter.servers(TestRouter.fake("fetch", true)),
                Optional.empty(),
                "http://127.0.0.1:1"),
            CommandLine.Command.API,
            "")) {
      ApiClient.Answer answer =
          new ApiClient(api.apiPort()).get("/v1/list-running-servers", "fetch");
      assertEquals(502, answer.status(), answer.body().toString());
      assertTrue(answer.body().path("message").asText().contains("did not answer"));
    }
  }
}
