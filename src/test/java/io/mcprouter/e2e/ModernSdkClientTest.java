package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official MCP TypeScript SDK v2 client ({@code @modelcontextprotocol/client}, pinned in
 * it/package-lock.json) speaking 2026-07-28 to the router serving
 * {@code @modelcontextprotocol/server-everything} (a 2025-era stdio server) on a shared key, alone
 * and side by side with v1 SDK clients ({@code @modelcontextprotocol/sdk}) on the same child. The
 * scripts are it/modern-client.mjs, it/legacy-echo-client.mjs and it/streamable-client.mjs.
 */
class ModernSdkClientTest {

  private static final Path IT = Path.of("it").toAbsolutePath();
  private static final String MODERN = "2026-07-28";
  private static final List<String> STEPS =
      List.of(
          "connect",
          "discover",
          "tools",
          "echo",
          "progress",
          "resources",
          "prompts",
          "listen",
          "wire");
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static TestRouter router;

  @BeforeAll
  static void start() throws Exception {
    Path everything = IT.resolve("node_modules/.bin/mcp-server-everything");
    assertTrue(
        Files.isExecutable(everything),
        everything
            + " is missing: the build installs it with 'npm ci' in it/ (mvn verify does this)");
    assertTrue(
        Files.isDirectory(IT.resolve("node_modules/@modelcontextprotocol/client")),
        "@modelcontextprotocol/client is missing: the build installs it with 'npm ci' in it/");
    router =
        TestRouter.start(
            TestRouter.servers(
                new ServerSpec(
                    "everything",
                    everything.toString(),
                    true,
                    Map.of(),
                    Optional.empty(),
                    Optional.empty())));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static String url() {
    return "http://127.0.0.1:" + router.proxyPort() + "/mcp/everything";
  }

  /** A node script started in it/, its stdout collected as it runs. */
  private record NodeRun(String label, Process process, CompletableFuture<String> stdout) {

    static NodeRun start(String script, String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of("node", script));
      command.addAll(List.of(args));
      Process process =
          new ProcessBuilder(command)
              .directory(IT.toFile())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      CompletableFuture<String> out =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new String(
                      process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      return new NodeRun(script + " " + String.join(" ", args), process, out);
    }

    /** Waits for exit 0 and returns the stdout lines, each parsed as JSON. */
    List<JsonNode> lines() throws Exception {
      assertTrue(process.waitFor(90, TimeUnit.SECONDS), label + " did not finish");
      String text = stdout.get(5, TimeUnit.SECONDS).trim();
      assertEquals(0, process.exitValue(), label + ": " + text);
      List<JsonNode> lines = new ArrayList<>();
      for (String line : text.split("\n")) {
        lines.add(SseTestClient.JSON.readTree(line));
      }
      return lines;
    }

    /** The last stdout line, for the one-line scripts. */
    JsonNode result() throws Exception {
      List<JsonNode> lines = lines();
      return lines.get(lines.size() - 1);
    }
  }

  /** The step lines of modern-client.mjs by step name, after checking the final line. */
  private static Map<String, JsonNode> steps(List<JsonNode> lines) {
    JsonNode last = lines.get(lines.size() - 1);
    assertTrue(last.path("ok").asBoolean(), last.toString());
    Map<String, JsonNode> steps = new LinkedHashMap<>();
    for (JsonNode line : lines.subList(0, lines.size() - 1)) {
      assertTrue(line.path("ok").asBoolean(), line.toString());
      steps.put(line.path("step").asText(), line);
    }
    assertEquals(STEPS, List.copyOf(steps.keySet()), lines.toString());
    return steps;
  }

  /** What every modern run must show, whatever else shares the child. */
  private static void assertModernRun(Map<String, JsonNode> steps, String prefix, int rounds) {
    JsonNode connect = steps.get("connect");
    assertEquals("modern", connect.path("era").asText(), connect.toString());
    assertEquals(MODERN, connect.path("protocolVersion").asText(), connect.toString());
    assertEquals("mcp-servers/everything", connect.path("serverName").asText(), connect.toString());

    JsonNode discover = steps.get("discover");
    assertEquals(List.of(MODERN), strings(discover.path("supportedVersions")), discover.toString());
    assertTrue(
        strings(discover.path("capabilities"))
            .containsAll(List.of("tools", "resources", "prompts")),
        discover.toString());

    JsonNode tools = steps.get("tools");
    assertTrue(
        strings(tools.path("toolNames"))
            .containsAll(
                List.of("echo", "trigger-long-running-operation", "gzip-file-as-resource")),
        tools.toString());

    JsonNode echo = steps.get("echo");
    assertEquals(rounds, echo.path("echoes").asInt(), echo.toString());
    assertEquals("Echo: " + prefix + " 0", echo.path("first").asText(), echo.toString());

    JsonNode progress = steps.get("progress");
    assertEquals(
        "[1,2,3,4]", progress.path("progress").toString(), "every step, in order: " + progress);
    assertTrue(
        progress.path("result").asText().startsWith("Long running operation completed"),
        progress.toString());

    JsonNode resources = steps.get("resources");
    assertTrue(resources.path("resourceCount").asInt() > 0, resources.toString());
    assertTrue(resources.path("read").asText().startsWith("demo://"), resources.toString());

    JsonNode prompts = steps.get("prompts");
    assertTrue(strings(prompts.path("promptNames")).contains("simple-prompt"), prompts.toString());
    assertEquals("user", prompts.path("firstRole").asText(), prompts.toString());

    JsonNode listen = steps.get("listen");
    assertTrue(
        listen.path("honoredFilter").path("resourcesListChanged").asBoolean(), listen.toString());
    assertTrue(listen.path("listChanged").asInt() >= 1, listen.toString());

    JsonNode wire = steps.get("wire");
    JsonNode methods = wire.path("methods");
    assertFalse(methods.has("initialize"), "no fallback to initialize: " + wire);
    assertTrue(methods.path("server/discover").asInt() >= 1, wire.toString());
    assertEquals(1, methods.path("subscriptions/listen").asInt(), wire.toString());
    assertEquals(0, wire.path("gets").asInt(), "no GET stream in 2026-07-28: " + wire);
  }

  private static List<String> strings(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(node -> list.add(node.asText()));
    return list;
  }

  /** The integer JSON-RPC ids in a run's list of sent ids. */
  private static List<Integer> integerIds(JsonNode ids) {
    List<Integer> list = new ArrayList<>();
    ids.forEach(
        id -> {
          if (id.isInt()) {
            list.add(id.asInt());
          }
        });
    return list;
  }

  private static JsonNode runningEverything() throws Exception {
    HttpResponse<String> answer =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + router.proxyPort() + "/admin/list-running-servers"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode servers = SseTestClient.JSON.readTree(answer.body()).path("data").path("servers");
    assertEquals(1, servers.size(), servers.toString());
    return servers.get(0);
  }

  @Test
  void sdkV2ClientPinnedTo20260728RunsEveryStep() throws Exception {
    NodeRun run = NodeRun.start("modern-client.mjs", url(), "pinned", "10", "pin");
    Map<String, JsonNode> steps = steps(run.lines());
    assertModernRun(steps, "pinned", 10);
    assertEquals("pin", steps.get("connect").path("negotiation").asText());
  }

  /**
   * What a new user gets who opts the v2 client into negotiation ({@code mode: "auto"}, which falls
   * back to initialize unless the discover answer is definitively modern) and points it at {@code
   * http://localhost:<port>/mcp/everything}: the modern era, no initialize.
   */
  @Test
  void sdkV2ClientInAutoModeAtLocalhostChoosesTheModernEraWithoutFallingBack() throws Exception {
    NodeRun run =
        NodeRun.start(
            "modern-client.mjs",
            "http://localhost:" + router.proxyPort() + "/mcp/everything",
            "auto",
            "10",
            "auto");
    Map<String, JsonNode> steps = steps(run.lines());
    assertModernRun(steps, "auto", 10);
    assertEquals("auto", steps.get("connect").path("negotiation").asText());
  }

  /**
   * Two v2 clients, two v1 echo clients and a full v1 Streamable HTTP session (with its dropped and
   * resumed stream), all at once on the one shared child. Every client numbers its requests from 0
   * (the v2 ones alongside string ids for the discover probe and the listen), so the same ids are
   * in flight from several clients at the same moment; each echo message is unique to its client
   * and round, and each client checks that every answer is the echo of its own message and that
   * progress reaches only the request it belongs to.
   */
  @Test
  void sdkV2AndV1ClientsOnOneSharedChildWithCollidingIdsGetOnlyTheirOwnAnswers() throws Exception {
    int modernRounds = 30;
    List<NodeRun> modern =
        List.of(
            NodeRun.start(
                "modern-client.mjs", url(), "modern-A", String.valueOf(modernRounds), "pin"),
            NodeRun.start(
                "modern-client.mjs", url(), "modern-B", String.valueOf(modernRounds), "auto"));
    List<NodeRun> legacy =
        List.of(
            NodeRun.start("legacy-echo-client.mjs", url(), "legacy-A", "10", "5"),
            NodeRun.start("legacy-echo-client.mjs", url(), "legacy-B", "10", "5"));
    NodeRun streamable = NodeRun.start("streamable-client.mjs", url(), "hello through mcprouter");

    List<List<Integer>> idsByClient = new ArrayList<>();
    for (int i = 0; i < modern.size(); i++) {
      Map<String, JsonNode> steps = steps(modern.get(i).lines());
      String prefix = i == 0 ? "modern-A" : "modern-B";
      assertModernRun(steps, prefix, modernRounds);
      idsByClient.add(integerIds(steps.get("wire").path("ids")));
    }
    for (NodeRun run : legacy) {
      JsonNode result = run.result();
      assertTrue(result.path("ok").asBoolean(), result.toString());
      assertEquals("2025-11-25", result.path("protocolVersion").asText(), result.toString());
      assertEquals(50, result.path("echoes").asInt(), result.toString());
      assertEquals(10, result.path("progressCalls").asInt(), result.toString());
      idsByClient.add(integerIds(result.path("ids")));
    }
    JsonNode session = streamable.result();
    assertTrue(session.path("ok").asBoolean(), session.toString());
    assertEquals(
        "Echo: hello through mcprouter", session.path("echo").asText(), session.toString());
    assertEquals(4, session.path("progressNotificationsRaw").asInt(), session.toString());
    assertEquals(204, session.path("deleteStatus").asInt(), session.toString());

    // the ids collided: every client sent ids 0..30 (v1: 0 is initialize)
    for (List<Integer> ids : idsByClient) {
      for (int id = 0; id <= 30; id++) {
        assertTrue(ids.contains(id), "id " + id + " in " + ids);
      }
    }
    // and one child served them all: it is still the first one, never restarted
    JsonNode child = runningEverything();
    assertEquals("running", child.path("status").asText(), child.toString());
    assertEquals(0, child.path("restarts").asInt(), child.toString());
  }
}
