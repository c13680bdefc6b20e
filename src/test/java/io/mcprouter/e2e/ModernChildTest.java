package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Children that already speak MCP 2026-07-28 (the official SDK v2's serveStdio, in
 * it/modern-stdio-server.mjs): detected at their start by {@code server/discover}, served to modern
 * clients as they are (multi round-trip results included) and to 2025 clients through the bridge;
 * and 2025-era children that do not answer the probe, restarted and served as before.
 */
class ModernChildTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path IT = Path.of("it").toAbsolutePath();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static TestRouter router;
  private static McpHttp mcp;

  @BeforeAll
  static void start() throws Exception {
    String modern = "node " + IT.resolve("modern-stdio-server.mjs");
    router =
        TestRouter.start(
            TestRouter.servers(
                new ServerSpec(
                    "modern", modern, true, Map.of(), Optional.empty(), Optional.empty()),
                // stuck on the probe: a 2025 server that answers nothing before initialize
                TestRouter.fake("stuck", false, "--silent-before-initialize"),
                TestRouter.fake("stuck-legacy", false, "--silent-before-initialize")
                    .withProtocol(ServerSpec.ChildProtocol.LEGACY),
                TestRouter.fake("asked", false)));
    mcp = new McpHttp(router.proxyPort());
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static HttpResponse<String> modern(String method, String name, ObjectNode params)
      throws Exception {
    ObjectNode meta = params.putObject("_meta");
    meta.put("io.modelcontextprotocol/protocolVersion", "2026-07-28");
    meta.putObject("io.modelcontextprotocol/clientCapabilities").putObject("elicitation");
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(mcp.url("modern")))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2026-07-28")
            .header("Mcp-Method", method)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    SseTestClient.request(7, method, params).toString()));
    if (name != null) {
      request.header("Mcp-Name", name);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static ObjectNode call(String tool, ObjectNode arguments) {
    ObjectNode params = JSON.createObjectNode().put("name", tool);
    params.set("arguments", arguments);
    return params;
  }

  @Test
  void aModernChildServesModernClientsAsItIsMultiRoundTripIncluded() throws Exception {
    JsonNode discover =
        JSON.readTree(modern("server/discover", null, JSON.createObjectNode()).body());
    assertEquals(
        "mcprouter-modern-fixture",
        discover
            .path("result")
            .path("_meta")
            .path("io.modelcontextprotocol/serverInfo")
            .path("name")
            .asText(),
        discover.toString());

    HttpResponse<String> first =
        modern("tools/call", "confirm", call("confirm", JSON.createObjectNode().put("what", "x")));
    JsonNode asked = JSON.readTree(first.body()).path("result");
    assertEquals("input_required", asked.path("resultType").asText(), first.body());
    assertEquals(
        "elicitation/create", asked.path("inputRequests").path("confirm").path("method").asText());

    ObjectNode retry = call("confirm", JSON.createObjectNode().put("what", "x"));
    retry
        .putObject("inputResponses")
        .putObject("confirm")
        .put("action", "accept")
        .putObject("content")
        .put("confirm", true);
    HttpResponse<String> done = modern("tools/call", "confirm", retry);
    assertEquals(
        "confirmed x",
        JSON.readTree(done.body()).path("result").path("content").path(0).path("text").asText(),
        done.body());
  }

  @Test
  void aModernChildServesLegacySessionsThroughTheBridge() throws Exception {
    HttpResponse<String> init = mcp.initializeOnly("modern");
    assertEquals(200, init.statusCode(), init.body());
    JsonNode result = JSON.readTree(init.body().substring(init.body().indexOf('{'))).path("result");
    assertEquals("mcprouter-modern-fixture", result.path("serverInfo").path("name").asText());
    assertFalse(
        result.path("capabilities").path("tools").has("listChanged"),
        "a 2025 session opens no listen stream: it is promised no change notifications");
    String session = mcp.openSession("modern");
    HttpResponse<String> echo =
        mcp.call("modern", session, 5, "echo", Map.of("message", "from a 2025 client"));
    assertEquals("echo: from a 2025 client", McpHttp.text(echo), echo.body());
    HttpResponse<String> confirm = mcp.call("modern", session, 6, "confirm", Map.of("what", "y"));
    assertEquals(
        -32021,
        JSON.readTree(confirm.body()).path("error").path("code").asInt(),
        "a 2025 client cannot answer input requests, so it declares no capability: "
            + confirm.body());
  }

  @Test
  void theRestApiServesAModernChild() throws Exception {
    HttpResponse<String> answer =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + router.apiPort() + "/v1/call-tool"))
                .header("Authorization", "Bearer modern")
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"name\":\"echo\",\"arguments\":{\"message\":\"via REST\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    assertTrue(answer.body().contains("echo: via REST"), answer.body());
  }

  @Test
  void aChildThatDoesNotAnswerTheProbeIsStartedAgainAsA2025Server() throws Exception {
    CompletableFuture<HttpResponse<String>> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return mcp.initializeOnly("stuck");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    HttpResponse<String> init = first.get(30, TimeUnit.SECONDS);
    assertEquals(200, init.statusCode(), init.body());
    assertTrue(init.body().contains("\"protocolVersion\""), init.body());
    String session = mcp.openSession("stuck");
    HttpResponse<String> echo = mcp.call("stuck", session, 3, "echo", Map.of("text", "after"));
    assertEquals(200, echo.statusCode(), echo.body());
    assertTrue(echo.body().contains("after"), echo.body());
  }

  @Test
  void aKeyForcedLegacyIsNeverAsked() throws Exception {
    String session = mcp.openSession("stuck-legacy");
    JsonNode stats =
        JSON.readTree(McpHttp.text(mcp.call("stuck-legacy", session, 2, "stats", Map.of())));
    assertEquals(0, stats.path("beforeInitialize").size(), stats.toString());
  }

  @Test
  void anAutoKeysChildIsAskedItsEraFirst() throws Exception {
    String session = mcp.openSession("asked");
    JsonNode stats = JSON.readTree(McpHttp.text(mcp.call("asked", session, 2, "stats", Map.of())));
    assertEquals(
        "server/discover", stats.path("beforeInitialize").path(0).asText(), stats.toString());
  }
}
