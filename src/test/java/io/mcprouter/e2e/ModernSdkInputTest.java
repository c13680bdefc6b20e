package io.mcprouter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.NodeScript;
import io.mcprouter.testsupport.TestRouter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Multi round-trip bridging seen by the official SDKs (issue 15): SDK v2 clients ({@code
 * @modelcontextprotocol/client}, pinned to 2026-07-28, whose driver runs the registered handlers
 * for an {@code input_required} result and retries) with elicitation and sampling handlers,
 * calling server-everything's {@code trigger-elicitation-request} and {@code
 * trigger-sampling-request} at the same time through one shared key, with a v1 SDK client ({@code
 * @modelcontextprotocol/sdk}, one 2025 session) doing the same on the same child. Every handler
 * answers something only its client says (it/input-common.mjs), so a result carrying another
 * client's answer, or a handler given another client's request, shows a misattribution. The
 * scripts are it/modern-input-client.mjs and it/legacy-input-client.mjs.
 */
class ModernSdkInputTest {

  private static final String SERIALIZED = "everything-serialized";
  private static final String ATTRIBUTED = "everything-attributed";
  private static final String REFUSAL = "cannot attribute";
  private static TestRouter router;

  @BeforeAll
  static void start() throws Exception {
    Path everything = NodeScript.IT.resolve("node_modules/.bin/mcp-server-everything");
    assertTrue(
        Files.isExecutable(everything),
        everything + " is missing: the build installs it with 'npm ci' in it/");
    assertTrue(
        Files.isDirectory(NodeScript.IT.resolve("node_modules/@modelcontextprotocol/client")),
        "@modelcontextprotocol/client is missing: the build installs it with 'npm ci' in it/");
    String command = everything.toString();
    router =
        TestRouter.start(
            TestRouter.servers(
                spec(SERIALIZED, command, true, ServerSpec.Interactive.SERIALIZE),
                spec(ATTRIBUTED, command, true, ServerSpec.Interactive.ATTRIBUTE)));
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static ServerSpec spec(
      String key, String command, boolean shared, ServerSpec.Interactive interactive) {
    return new ServerSpec(key, command, shared, Map.of(), Optional.empty(), Optional.empty())
        .withIsolation(interactive, List.of(), false);
  }

  private static String url(String key) {
    return "http://127.0.0.1:" + router.proxyPort() + "/mcp/" + key;
  }

  /** Two v2 clients (one process, every call started before any is awaited) and a v1 client. */
  private record SharedRun(JsonNode modern, JsonNode legacy) {

    static SharedRun of(String key, int rounds, int perRound) throws Exception {
      String r = String.valueOf(rounds);
      String p = String.valueOf(perRound);
      NodeScript modern =
          NodeScript.start("modern-input-client.mjs", url(key), "pair", r, p, "alice", "bob");
      NodeScript legacy = NodeScript.start("legacy-input-client.mjs", url(key), "carol", r, p);
      try {
        return new SharedRun(modern.result(), legacy.result());
      } finally {
        modern.kill();
        legacy.kill();
      }
    }

    List<JsonNode> clients() {
      List<JsonNode> all = new ArrayList<>();
      modern.path("clients").forEach(all::add);
      legacy.path("clients").forEach(all::add);
      return all;
    }
  }

  /** Each call ended complete, with its own client's answer, its handler run once for it. */
  private static void assertOwnAnswers(JsonNode client, int elicitations, int samplings) {
    assertNeverMisattributed(client);
    assertEquals(0, client.path("failures").size(), client.toString());
    for (String tool : List.of("elicitation", "sampling")) {
      int calls = tool.equals("elicitation") ? elicitations : samplings;
      JsonNode counts = client.path(tool);
      assertEquals(calls, counts.path("calls").asInt(), client.toString());
      assertEquals(calls, counts.path("handled").asInt(), tool + ": " + client);
      assertEquals(calls, counts.path("ok").asInt(), tool + ": " + client);
    }
  }

  /**
   * What must hold whatever the key's attribution does: no handler got a request another client's
   * call caused, no result carries an answer not its own client's, every handler run ended in its
   * own call's result, and every call that failed failed with the refusal.
   */
  private static void assertNeverMisattributed(JsonNode client) {
    assertEquals(0, client.path("foreign").size(), "foreign requests: " + client);
    assertEquals(0, client.path("problems").size(), "foreign answers: " + client);
    for (String tool : List.of("elicitation", "sampling")) {
      JsonNode counts = client.path(tool);
      assertEquals(counts.path("ok").asInt(), counts.path("handled").asInt(), tool + ": " + client);
    }
    for (JsonNode failure : client.path("failures")) {
      assertTrue(failure.path("error").asText().contains(REFUSAL), failure.toString());
    }
  }

  @Test
  void twoV2ClientsAndAV1ClientOnASerializedSharedKeyEachGetOnlyTheirOwnInputRequests()
      throws Exception {
    int rounds = 3;
    int perRound = 2;
    SharedRun run = SharedRun.of(SERIALIZED, rounds, perRound);
    int callsPerTool = rounds * perRound;

    assertTrue(run.modern().path("ok").asBoolean(), run.modern().toString());
    List<JsonNode> clients = run.clients();
    assertEquals(3, clients.size(), clients.toString());
    for (JsonNode client : clients) {
      assertOwnAnswers(client, callsPerTool, callsPerTool);
    }
    // the v2 clients met the calls' asks only as input_required: one retry per call, stateless
    JsonNode wire = run.modern().path("wire");
    assertEquals(2 * 2 * callsPerTool, wire.path("retries").asInt(), wire.toString());
    assertEquals(0, wire.path("sessionIds").asInt(), wire.toString());
    // the v1 client got the child's asks as server-to-client requests on its session, as in 2025
    JsonNode legacy = run.legacy();
    assertTrue(legacy.path("ok").asBoolean(), legacy.toString());
    assertEquals("2025-11-25", legacy.path("protocolVersion").asText(), legacy.toString());
    JsonNode asked = legacy.path("serverRequests");
    assertEquals(callsPerTool, asked.path("elicitation/create").asInt(), legacy.toString());
    assertEquals(callsPerTool, asked.path("sampling/createMessage").asInt(), legacy.toString());
    // no request reached two clients: as many handler runs in all as calls in all
    int handled = 0;
    for (JsonNode client : clients) {
      handled += client.path("elicitation").path("handled").asInt();
      handled += client.path("sampling").path("handled").asInt();
    }
    assertEquals(3 * 2 * callsPerTool, handled, clients.toString());
  }

  /**
   * What {@code interactive = "attribute"} (the default) does with the same clients: with several
   * unparked calls in flight at the child, its ask is refused (the tool reports the error) rather
   * than guessed, so most calls fail, but no answer ever lands in another client's call. The counts
   * are printed for the README.
   */
  @Test
  void onAnAttributedSharedKeyConcurrentAsksAreRefusedAndNeverMisattributed() throws Exception {
    int rounds = 3;
    int perRound = 2;
    SharedRun run = SharedRun.of(ATTRIBUTED, rounds, perRound);
    List<JsonNode> clients = run.clients();
    assertEquals(3, clients.size(), clients.toString());
    for (JsonNode client : clients) {
      assertNeverMisattributed(client);
      System.out.printf(
          "mrtsdk attribute: client=%s elicitation ok=%d/%d sampling ok=%d/%d refused=%d%n",
          client.path("name").asText(),
          client.path("elicitation").path("ok").asInt(),
          client.path("elicitation").path("calls").asInt(),
          client.path("sampling").path("ok").asInt(),
          client.path("sampling").path("calls").asInt(),
          client.path("failures").size());
    }
  }
}
