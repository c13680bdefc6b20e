package io.mcprouter.transport.sse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A per-session child starts only once its session is real, and only so many of a key start at once
 * (issue 11, item 6).
 */
class PerSessionChildStartTest {

  private static final HttpClient http = SseTestClient.newHttpClient();

  @Test
  void getsOfAPerSessionKeyWithoutRequestsStartNoProcess() throws Exception {
    try (TestRouter router = TestRouter.start(TestRouter.servers(TestRouter.fake("solo", false)))) {
      long before = McpHttp.descendants();
      List<SseTestClient> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          silent.add(SseTestClient.connect(http, router.proxyPort(), "solo"));
        }
        try (SseTestClient real = SseTestClient.connect(http, router.proxyPort(), "solo")) {
          real.initialize(
              1,
              null); // its child is up and answering: the silent sessions' would have been started
          // by now
          long afterOne = McpHttp.descendants();
          assertTrue(afterOne > before, "the session that sent a request has its child");
          try (SseTestClient another = SseTestClient.connect(http, router.proxyPort(), "solo")) {
            another.initialize(1, null);
            long perChild = McpHttp.descendants() - afterOne;
            assertEquals(
                before + perChild,
                afterOne,
                "one child's processes for one real session; 5 GETs started none");
          }
        }
      } finally {
        silent.forEach(SseTestClient::close);
      }
    }
  }

  @Test
  void childrenOfAKeyBeingStartedAtOnceAreBounded() throws Exception {
    try (TestRouter router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("slow", false, "--no-initialize")),
            "mcprouter.limits.max-starting-children-per-key = 1")) {
      McpHttp mcp = new McpHttp(router.proxyPort());
      SseTestClient first = SseTestClient.connect(http, router.proxyPort(), "slow");
      first.send(SseTestClient.request(1, "initialize", McpHttp.initializeRequest().get("params")));
      try (SseTestClient second = SseTestClient.connect(http, router.proxyPort(), "slow")) {
        assertLimit(
            second.postRaw(
                SseTestClient.request(1, "initialize", McpHttp.initializeRequest().get("params"))
                    .toString()));
        assertLimit(mcp.initializeOnly("slow"));
        first.close(); // its child is stopped and no longer counts as starting
        Await.until(
            Duration.ofSeconds(20),
            "the second session's child may start",
            () -> {
              try {
                return second
                        .postRaw(
                            SseTestClient.request(
                                    2, "initialize", McpHttp.initializeRequest().get("params"))
                                .toString())
                        .statusCode()
                    == 202;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
      }
    }
  }

  private static void assertLimit(HttpResponse<String> response) throws Exception {
    assertEquals(503, response.statusCode(), response.body());
    JsonNode error = SseTestClient.JSON.readTree(response.body()).path("error");
    assertTrue(
        error.path("message").asText().contains("starting at once, the maximum"), response.body());
  }
}
