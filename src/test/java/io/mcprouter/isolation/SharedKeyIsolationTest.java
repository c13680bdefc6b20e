package io.mcprouter.isolation;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants of one shared key reach only what is theirs (issue 12, items 5 to 7): server-to-client
 * requests, roots and the child's stderr. Real children (FakeMcpServer, server-filesystem), real
 * HTTP.
 */
class SharedKeyIsolationTest {

  private static final Path IT = Path.of("it").toAbsolutePath();
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final int SESSIONS = 5;

  @TempDir static Path dirs;
  private static Path allowed;
  private static Path other;
  private static TestRouter router;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    allowed = Files.createDirectory(dirs.resolve("allowed"));
    other = Files.createDirectory(dirs.resolve("other"));
    Files.writeString(allowed.resolve("a.txt"), "in the configured directory");
    Files.writeString(other.resolve("b.txt"), "outside the configured directory");
    String filesystem =
        IT.resolve("node_modules/.bin/node")
            + " "
            + IT.resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js")
            + " "
            + allowed;
    router =
        TestRouter.start(
            TestRouter.servers(
                TestRouter.fake("attribute", true),
                TestRouter.fake("serialize", true)
                    .withIsolation(ServerSpec.Interactive.SERIALIZE, List.of(), false),
                TestRouter.fake("roots-none", true),
                TestRouter.fake("roots-configured", true)
                    .withIsolation(
                        ServerSpec.Interactive.ATTRIBUTE,
                        List.of("file:///srv/data", "file:///srv/more"),
                        false),
                TestRouter.fake("crashes", true),
                TestRouter.fake("crashes-exposed", true)
                    .withIsolation(ServerSpec.Interactive.ATTRIBUTE, List.of(), true),
                new ServerSpec(
                    "fs", filesystem, true, Map.of(), Optional.empty(), Optional.empty()),
                new ServerSpec(
                    "fs-own", filesystem, false, Map.of(), Optional.empty(), Optional.empty())));
    http = SseTestClient.newHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static SseTestClient connect(String key) throws Exception {
    return SseTestClient.connect(http, router.proxyPort(), key);
  }

  private static ObjectNode caps(String... names) {
    ObjectNode caps = JSON.createObjectNode();
    for (String name : names) {
      caps.putObject(name);
    }
    return caps;
  }

  private static String text(JsonNode response) {
    return response.path("result").path("content").path(0).path("text").asText();
  }

  /**
   * Sends a request and waits for its answer, answering the server's requests on the way with
   * {@code answer} (each one also recorded in {@code asked}).
   */
  private static JsonNode callAnswering(
      SseTestClient client,
      int id,
      String method,
      JsonNode params,
      List<JsonNode> asked,
      Function<JsonNode, JsonNode> answer)
      throws Exception {
    client.send(SseTestClient.request(id, method, params));
    while (true) {
      JsonNode message =
          client.awaitMessage(
              m -> m.has("method") && m.has("id") || !m.has("method") && m.path("id").asInt() == id,
              WAIT);
      if (!message.has("method")) {
        return message;
      }
      asked.add(message);
      ObjectNode reply = JSON.createObjectNode().put("jsonrpc", "2.0");
      reply.set("id", message.get("id"));
      reply.set("result", answer.apply(message));
      client.send(reply);
    }
  }

  private static JsonNode sampled(String text) {
    ObjectNode result = JSON.createObjectNode().put("role", "assistant").put("model", "test");
    result.putObject("content").put("type", "text").put("text", text);
    return result;
  }

  private record Outcome(String session, List<String> promptsSeen, String result) {}

  /**
   * Every session calls the sampling tool at once; each answers what it is asked with its own name.
   */
  private static List<Outcome> sampleConcurrently(String key, Map<String, Object> extraArguments)
      throws Exception {
    List<SseTestClient> clients = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(SESSIONS);
    try {
      for (int i = 0; i < SESSIONS; i++) {
        SseTestClient client = connect(key);
        clients.add(client);
        client.initialize(1, caps("sampling"));
      }
      List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        String name = "user-" + i;
        SseTestClient client = clients.get(i);
        Map<String, Object> arguments = new HashMap<>(extraArguments);
        arguments.put("prompt", "prompt of " + name);
        outcomes.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    List<JsonNode> asked = Collections.synchronizedList(new ArrayList<>());
                    JsonNode answer =
                        callAnswering(
                            client,
                            2,
                            "tools/call",
                            toolCall("sample", arguments),
                            asked,
                            ask -> sampled("answer of " + name));
                    List<String> prompts =
                        asked.stream()
                            .map(
                                a ->
                                    a.path("params")
                                        .path("messages")
                                        .path(0)
                                        .path("content")
                                        .path("text")
                                        .asText())
                            .toList();
                    return new Outcome(name, prompts, text(answer));
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                pool));
      }
      List<Outcome> all = new ArrayList<>();
      for (CompletableFuture<Outcome> outcome : outcomes) {
        all.add(outcome.get(60, TimeUnit.SECONDS));
      }
      return all;
    } finally {
      clients.forEach(SseTestClient::close);
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentSamplingOnASharedKeyNeverReachesAnotherSession() throws Exception {
    // the child asks only once all five calls are in: five sessions have requests in flight
    List<Outcome> outcomes =
        sampleConcurrently("attribute", Map.of("wait_for", SESSIONS, "wait_ms", 10_000));
    for (Outcome outcome : outcomes) {
      for (String prompt : outcome.promptsSeen()) {
        assertEquals(
            "prompt of " + outcome.session(),
            prompt,
            outcome.session() + " was asked another user's prompt");
      }
      assertTrue(
          outcome.result().equals("answer of " + outcome.session())
              || outcome
                  .result()
                  .startsWith(
                      "sampling error: cannot attribute sampling/createMessage to one client session"),
          outcome.session() + " got " + outcome.result());
    }
  }

  @Test
  void withInteractiveSerializeEverySessionGetsItsOwnPromptAndItsOwnAnswer() throws Exception {
    // wait_ms: on a router that let all five in at once they would all be in flight when asked
    List<Outcome> outcomes =
        sampleConcurrently("serialize", Map.of("wait_for", SESSIONS, "wait_ms", 300));
    for (Outcome outcome : outcomes) {
      assertEquals(
          List.of("prompt of " + outcome.session()), outcome.promptsSeen(), outcome.session());
      assertEquals("answer of " + outcome.session(), outcome.result());
    }
  }

  private static JsonNode rootsSeenByTheChild(String key) throws Exception {
    try (SseTestClient client = connect(key)) {
      client.initialize(
          1,
          JSON.createObjectNode().set("roots", JSON.createObjectNode().put("listChanged", true)));
      List<JsonNode> asked = new ArrayList<>();
      JsonNode answer =
          callAnswering(
              client,
              2,
              "tools/call",
              toolCall("roots", Map.of()),
              asked,
              ask ->
                  JSON.createObjectNode()
                      .set(
                          "roots",
                          JSON.createArrayNode()
                              .add(JSON.createObjectNode().put("uri", "file:///home/client-own"))));
      assertEquals(List.of(), asked, "a client of a shared key is never asked for its roots");
      return JSON.readTree(text(answer));
    }
  }

  @Test
  void rootsListOfASharedChildIsAnsweredFromTheKeysConfiguration() throws Exception {
    assertEquals(
        JSON.readTree(
            "{\"roots\":[{\"uri\":\"file:///srv/data\"},{\"uri\":\"file:///srv/more\"}]}"),
        rootsSeenByTheChild("roots-configured"));
    assertEquals(JSON.readTree("{\"roots\":[]}"), rootsSeenByTheChild("roots-none"));
  }

  @Test
  void aClientsRootsListChangedDoesNotReachASharedChild() throws Exception {
    try (SseTestClient client = connect("roots-none")) {
      client.initialize(
          1,
          JSON.createObjectNode().set("roots", JSON.createObjectNode().put("listChanged", true)));
      client.send(SseTestClient.notification("notifications/roots/list_changed", null));
      // stdin is written in order: the stats request reaches the child after the notification would
      // have
      JsonNode stats =
          JSON.readTree(text(client.call(2, "tools/call", toolCall("stats", Map.of()))));
      assertEquals(0, stats.path("rootsListChanged").asInt(), stats.toString());
    }
  }

  private static String readFile(SseTestClient client, int id, Path file, List<JsonNode> asked)
      throws Exception {
    JsonNode answer =
        callAnswering(
            client,
            id,
            "tools/call",
            toolCall("read_text_file", Map.of("path", file.toString())),
            asked,
            ask ->
                JSON.createObjectNode()
                    .set(
                        "roots",
                        JSON.createArrayNode()
                            .add(JSON.createObjectNode().put("uri", other.toUri().toString()))));
    return text(answer);
  }

  @Test
  void onASharedKeyAClientsRootsCannotWidenServerFilesystemsDirectories() throws Exception {
    try (SseTestClient attacker = connect("fs");
        SseTestClient victim = connect("fs")) {
      // the attacker comes first, declares roots (the directory B) and announces a change of them
      attacker.initialize(
          1,
          JSON.createObjectNode().set("roots", JSON.createObjectNode().put("listChanged", true)));
      attacker.send(SseTestClient.notification("notifications/roots/list_changed", null));
      List<JsonNode> asked = new ArrayList<>();
      assertEquals(
          "in the configured directory", readFile(attacker, 2, allowed.resolve("a.txt"), asked));
      String attackersRead = readFile(attacker, 3, other.resolve("b.txt"), asked);
      victim.initialize(1, caps());
      String victimsRead = readFile(victim, 2, other.resolve("b.txt"), new ArrayList<>());

      assertFalse(
          victimsRead.contains("outside the configured directory"),
          "the victim read: " + victimsRead);
      assertFalse(
          attackersRead.contains("outside the configured directory"),
          "the attacker read: " + attackersRead);
      assertTrue(victimsRead.contains("Access denied"), victimsRead);
      assertEquals(List.of(), asked, "the shared child never asks a client for roots");
    }
  }

  @Test
  void aPerSessionChildKeepsItsClientsRoots() throws Exception {
    try (SseTestClient client = connect("fs-own")) {
      client.initialize(
          1,
          JSON.createObjectNode().set("roots", JSON.createObjectNode().put("listChanged", true)));
      List<JsonNode> asked = new ArrayList<>();
      AtomicInteger ids = new AtomicInteger(10);
      // server-filesystem asks for the roots after initialized; its answer replaces the directories
      Await.until(
          WAIT,
          "the client's roots in force",
          () -> {
            try {
              return readFile(client, ids.incrementAndGet(), other.resolve("b.txt"), asked)
                  .contains("outside the configured directory");
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      assertFalse(asked.isEmpty(), "its own client was asked for roots");
    }
  }

  private static JsonNode crashError(String key) throws Exception {
    try (SseTestClient client = connect(key)) {
      client.initialize(1, null);
      assertEquals(
          "ok",
          text(
              client.call(
                  2,
                  "tools/call",
                  toolCall("stderr", Map.of("text", "db password=hunter2 for user-7")))));
      return client.call(3, "tools/call", toolCall("crash", Map.of())).path("error");
    }
  }

  @Test
  void aCrashErrorCarriesTheChildsStderrOnlyWhenTheKeyOptsIn() throws Exception {
    JsonNode hidden = crashError("crashes");
    assertEquals(-32000, hidden.path("code").asInt(), hidden.toString());
    assertFalse(hidden.toString().contains("hunter2"), hidden.toString());
    assertFalse(hidden.path("data").has("stderr"), hidden.toString());

    JsonNode exposed = crashError("crashes-exposed");
    assertTrue(
        exposed.path("data").path("stderr").toString().contains("db password=hunter2 for user-7"),
        exposed.toString());
  }
}
