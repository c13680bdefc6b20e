package io.mcprouter.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.AccessKey;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Access keys exist because several users share the router, so "a loopback caller" no longer means
 * the operator: without an admin token /admin must then refuse everyone, and only an access key's
 * own stop right stops a server.
 */
class AdminWithAccessKeysTest {

  private static final String STOPPER = "st0pper-3b8e1f6a9c2d5047";
  private static final String USER = "us3r-9f2a6c1e8b4d7035";
  private final HttpClient http = SseTestClient.newHttpClient();

  @Test
  void withoutAnAdminTokenNoLoopbackCallerMayStopOrListAndTheStopRightStillWorks()
      throws Exception {
    RouterConfig config =
        TestRouter.config(
                TestRouter.servers(TestRouter.fake("fake", true)),
                Optional.empty(),
                "http://127.0.0.1:1")
            .withAccessKeys(
                List.of(
                    new AccessKey("user", AccessKey.sha256(USER), Set.of("fake"), false, false),
                    new AccessKey(
                        "stopper", AccessKey.sha256(STOPPER), Set.of("fake"), false, true)));
    try (TestRouter router = TestRouter.start(config, CommandLine.Command.SERVE, "")) {
      String proxy = "http://127.0.0.1:" + router.proxyPort();
      String api = "http://127.0.0.1:" + router.apiPort();
      assertEquals(200, post(api + "/v1/list-tools", USER, "").statusCode(), "the child runs");

      HttpResponse<String> stop =
          post(proxy + "/admin/stop-server", null, "{\"server_key\":\"fake\",\"force\":true}");
      assertEquals(403, stop.statusCode(), stop.body());
      assertTrue(
          stop.body().contains("/admin needs an admin token when access keys are configured"),
          stop.body());
      HttpResponse<String> list =
          http.send(
              HttpRequest.newBuilder(URI.create(proxy + "/admin/list-clients")).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(403, list.statusCode(), list.body());

      HttpResponse<String> running =
          http.send(
              HttpRequest.newBuilder(URI.create(api + "/v1/list-running-servers"))
                  .header("Authorization", "Bearer " + USER)
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertTrue(
          running.body().contains("\"server_key\":\"fake\""), "still running: " + running.body());

      assertEquals(
          403,
          post(api + "/v1/stop-server", USER, "{\"server_key\":\"fake\"}").statusCode(),
          "no stop right");
      HttpResponse<String> stopped =
          post(api + "/v1/stop-server", STOPPER, "{\"server_key\":\"fake\",\"force\":true}");
      assertEquals(200, stopped.statusCode(), stopped.body());
    }
  }

  private HttpResponse<String> post(String url, String bearer, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(
                body.isEmpty()
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
