package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real client against a real server: the official MCP TypeScript SDK (Client +
 * SSEClientTransport) drives the router serving @modelcontextprotocol/server-everything, both
 * pinned in it/package-lock.json.
 */
class OfficialSdkClientTest {

  private static final Path IT = Path.of("it").toAbsolutePath();
  private static TestRouter router;

  @BeforeAll
  static void start() throws Exception {
    Path everything = IT.resolve("node_modules/.bin/mcp-server-everything");
    assertTrue(
        Files.isExecutable(everything),
        everything
            + " is missing: the build installs it with 'npm ci' in it/ (mvn verify does this)");
    router =
        TestRouter.start(
            TestRouter.servers(
                new ServerSpec(
                    "everything",
                    everything.toString(),
                    true,
                    Map.of(),
                    Optional.empty(),
                    Optional.empty()),
                new ServerSpec(
                    "everything-per-session",
                    everything.toString(),
                    false,
                    Map.of(),
                    Optional.empty(),
                    Optional.empty())));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private JsonNode runSdkClient(String key) throws Exception {
    return runNode("sse-client.mjs", "http://localhost:" + router.proxyPort() + "/sse/" + key);
  }

  private JsonNode runNode(String script, String url) throws Exception {
    Process node =
        new ProcessBuilder("node", script, url, "hello through mcprouter")
            .directory(IT.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    assertTrue(node.waitFor(90, TimeUnit.SECONDS), "the SDK client did not finish");
    String stdout = out.get(5, TimeUnit.SECONDS).trim();
    assertEquals(0, node.exitValue(), stdout);
    return SseTestClient.JSON.readTree(stdout.substring(stdout.lastIndexOf('\n') + 1));
  }

  private static void assertFullSession(JsonNode result) {
    assertTrue(result.path("ok").asBoolean(), result.toString());
    assertEquals("mcp-servers/everything", result.path("serverName").asText(), result.toString());
    assertTrue(result.path("toolNames").toString().contains("\"echo\""), result.toString());
    assertTrue(
        result.path("toolNames").toString().contains("trigger-long-running-operation"),
        result.toString());
    assertEquals("Echo: hello through mcprouter", result.path("echo").asText(), result.toString());
    assertEquals(4, result.path("progressNotificationsRaw").asInt(), result.toString());
    assertTrue(
        result.path("progressResult").asText().startsWith("Long running operation completed"),
        result.toString());
  }

  @Test
  void officialSdkClientRunsAFullSessionThroughASharedChild() throws Exception {
    assertFullSession(runSdkClient("everything"));
    // a second SDK client on the same shared child gets the cached initialize and the same tools
    assertFullSession(runSdkClient("everything"));
  }

  @Test
  void officialSdkClientRunsAFullSessionThroughAPerSessionChild() throws Exception {
    assertFullSession(runSdkClient("everything-per-session"));
  }

  /**
   * StreamableHTTPClientTransport: a full session, a dropped stream resumed with Last-Event-ID,
   * DELETE.
   */
  private static void assertStreamableSession(JsonNode result) {
    assertFullSession(result);
    assertEquals("2025-11-25", result.path("protocolVersion").asText(), result.toString());
    JsonNode resumed = result.path("resumed");
    assertTrue(resumed.path("progressBefore").size() >= 2, result.toString());
    assertTrue(resumed.path("progressAfter").size() >= 1, result.toString());
    assertEquals(
        resumed.path("totalSteps").asInt(),
        resumed.path("progressBefore").size() + resumed.path("progressAfter").size(),
        "no progress lost or repeated: " + result);
    assertTrue(
        resumed.path("result").asText().startsWith("Long running operation completed"),
        result.toString());
    assertEquals(204, result.path("deleteStatus").asInt(), result.toString());
    assertEquals(404, result.path("afterDeleteStatus").asInt(), result.toString());
  }

  @Test
  void officialStreamableHttpClientRunsResumesAndEndsASessionOnASharedChild() throws Exception {
    assertStreamableSession(
        runNode(
            "streamable-client.mjs", "http://127.0.0.1:" + router.proxyPort() + "/mcp/everything"));
  }

  @Test
  void officialStreamableHttpClientRunsResumesAndEndsASessionOnAPerSessionChild() throws Exception {
    assertStreamableSession(
        runNode(
            "streamable-client.mjs",
            "http://127.0.0.1:" + router.proxyPort() + "/mcp/everything-per-session"));
  }
}
