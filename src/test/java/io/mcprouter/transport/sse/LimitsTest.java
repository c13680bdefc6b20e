package io.mcprouter.transport.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Past a limit the client gets 503 and a JSON-RPC error naming the limit; what is under it keeps
 * working.
 */
class LimitsTest {

  private static final HttpClient http = SseTestClient.newHttpClient();

  private static HttpResponse<String> openRefused(TestRouter router, String key) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + router.proxyPort() + "/sse/" + key))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void assertLimit(HttpResponse<String> response, String limit) throws Exception {
    assertEquals(503, response.statusCode(), response.body());
    JsonNode error = SseTestClient.JSON.readTree(response.body()).path("error");
    assertEquals(-32002, error.path("code").asInt());
    assertTrue(error.path("message").asText().contains(limit), response.body());
    assertFalse(
        error.path("message").asText().contains("mcprouter."),
        "a client's text names no setting: " + response.body());
  }

  @Test
  void sessionAndChildLimitsAreEnforcedWithTheirNames() throws Exception {
    try (TestRouter router =
            TestRouter.start(
                TestRouter.servers(
                    TestRouter.fake("a", true),
                    TestRouter.fake("b", true),
                    TestRouter.fake("c", true)),
                "mcprouter.limits { max-sessions-per-key = 2, max-sessions = 3, max-children = 2 }");
        SseTestClient a1 = SseTestClient.connect(http, router.proxyPort(), "a");
        SseTestClient a2 = SseTestClient.connect(http, router.proxyPort(), "a")) {
      assertLimit(openRefused(router, "a"), "server 'a' has its maximum of 2 sessions");
      try (SseTestClient b1 = SseTestClient.connect(http, router.proxyPort(), "b")) {
        assertLimit(openRefused(router, "c"), "the router holds its maximum of 3 sessions");
      }
      // b's session is gone (its stream closed): a third key now fits the session limit, not the
      // child limit
      Await.until(
          Duration.ofSeconds(10),
          "the child limit is what refuses c",
          () -> {
            try {
              HttpResponse<String> refused = openRefused(router, "c");
              return refused.statusCode() == 503
                  && refused.body().contains("2 servers running, the router's maximum");
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      a1.initialize(1, null);
      assertEquals(
          "still fine",
          a1.call(2, "tools/call", SseTestClient.toolCall("echo", Map.of("text", "still fine")))
              .path("result")
              .path("content")
              .path(0)
              .path("text")
              .asText());
    }
  }

  @Test
  void requestsInFlightPerSessionAreBounded() throws Exception {
    try (TestRouter router =
            TestRouter.start(
                TestRouter.servers(TestRouter.fake("a", true)),
                "mcprouter.limits.max-in-flight-per-session = 2");
        SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "a")) {
      client.initialize(1, null);
      client.send(
          SseTestClient.request(
              2, "tools/call", SseTestClient.toolCall("sleep", Map.of("ms", 2000))));
      client.send(
          SseTestClient.request(
              3, "tools/call", SseTestClient.toolCall("sleep", Map.of("ms", 2000))));
      HttpResponse<String> third =
          client.postRaw(SseTestClient.request(4, "ping", null).toString());
      assertLimit(third, "2 requests in flight for this session");
      assertEquals(
          4,
          SseTestClient.JSON.readTree(third.body()).path("id").asInt(),
          "the error names the request");
      client.awaitMessage(m -> m.path("id").asInt() == 3, Duration.ofSeconds(10));
      client.awaitMessage(m -> m.path("id").asInt() == 2, Duration.ofSeconds(10));
      assertTrue(client.call(5, "ping", null).has("result"), "under the limit again");
    }
  }

  @Test
  void restCallsInFlightAreBoundedLikeSessions() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("a", true)),
            "mcprouter.limits.max-sessions-per-key = 1")) {
      String url = "http://127.0.0.1:" + router.apiPort() + "/v1/call-tool";
      HttpRequest slow =
          HttpRequest.newBuilder(URI.create(url))
              .header("Authorization", "Bearer a")
              .header("Content-Type", "application/json")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      "{\"name\":\"sleep\",\"arguments\":{\"ms\":3000}}"))
              .build();
      var first = new AtomicReference<>(http.sendAsync(slow, HttpResponse.BodyHandlers.ofString()));
      List<String> seen = new ArrayList<>();
      Await.until(
          Duration.ofSeconds(10),
          () -> "a second call is refused while the first runs; answers: " + seen,
          () -> {
            try {
              if (first.get().isDone() && first.get().join().statusCode() != 200) {
                // an echo reached the router first and the slow call was the one refused: send it
                // again
                first.set(http.sendAsync(slow, HttpResponse.BodyHandlers.ofString()));
              }
              HttpResponse<String> second =
                  http.send(
                      HttpRequest.newBuilder(URI.create(url))
                          .header("Authorization", "Bearer a")
                          .header("Content-Type", "application/json")
                          .POST(
                              HttpRequest.BodyPublishers.ofString(
                                  "{\"name\":\"echo\",\"arguments\":{\"text\":\"x\"}}"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              seen.add(second.statusCode() + " " + second.body());
              return second.statusCode() == 503
                  && second.body().contains("server 'a' has its maximum of 1 sessions");
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      assertEquals(200, first.get().get(10, TimeUnit.SECONDS).statusCode());
    }
  }
}
