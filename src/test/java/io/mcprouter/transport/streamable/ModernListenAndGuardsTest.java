package io.mcprouter.transport.streamable;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.AccessKey;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.ModernHttp;
import io.mcprouter.testsupport.RawExchange;
import io.mcprouter.testsupport.TestRouter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MCP 2026-07-28 end to end, continued from {@link ModernRequestsTest}: {@code
 * subscriptions/listen} on a shared key (acknowledgement, subscription id, filtering) and refused
 * on a per-session key; the browser guard and access keys on modern requests.
 */
class ModernListenAndGuardsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String KEEP_ALIVE = "keep-alive";
  private static TestRouter router;
  private static ModernHttp modern;

  @BeforeAll
  static void start() throws Exception {
    router =
        TestRouter.start(
            TestRouter.servers(TestRouter.fake("shared", true), TestRouter.fake("solo", false)));
    modern = new ModernHttp(router.proxyPort());
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  /** A listen stream, read on a thread of its own: data events as JSON, keep-alives as a mark. */
  private static final class Listener implements AutoCloseable {
    private final BlockingQueue<Object> frames = new LinkedBlockingQueue<>();
    private final Stream<String> lines;

    Listener(Object id, ObjectNode notifications) throws Exception {
      ObjectNode params = JSON.createObjectNode();
      params.set("notifications", notifications);
      HttpResponse<Stream<String>> response =
          modern
              .client()
              .sendAsync(
                  modern
                      .post(
                          "shared",
                          ModernHttp.request(id, "subscriptions/listen", params, Map.of()))
                      .build(),
                  HttpResponse.BodyHandlers.ofLines())
              .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(200, response.statusCode());
      assertTrue(
          response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
      lines = response.body();
      Thread reader = new Thread(this::read, "listen-" + id);
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try {
        for (String line : (Iterable<String>) lines::iterator) {
          if (line.startsWith("data:")) {
            frames.add(JSON.readTree(line.substring(5).strip()));
          } else if (line.startsWith(":")) {
            frames.add(KEEP_ALIVE);
          }
        }
      } catch (Exception e) {
        // the stream closed
      }
    }

    /** The next data event, keep-alives skipped. */
    JsonNode next() throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        Object frame = frames.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        assertNotNull(frame, "no event on the listen stream within " + WAIT);
        if (frame instanceof JsonNode event) {
          return event;
        }
      }
    }

    /** Nothing but keep-alives until {@code count} of them came: the stream is live and quiet. */
    void quietFor(int count) throws InterruptedException {
      for (int seen = 0; seen < count; ) {
        Object frame = frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(frame, "the listen stream went silent (no keep-alive)");
        if (frame instanceof JsonNode event) {
          fail("unexpected event on the listen stream: " + event);
        }
        seen++;
      }
    }

    @Override
    public void close() {
      lines.close();
    }
  }

  // 6. subscriptions/listen

  @Test
  void listenersGetTheirAcknowledgementAndOnlyTheNotificationsTheyAskedFor() throws Exception {
    try (Listener tools =
            new Listener("listen-tools", JSON.createObjectNode().put("toolsListChanged", true));
        Listener prompts =
            new Listener(77, JSON.createObjectNode().put("promptsListChanged", true))) {
      JsonNode ack = tools.next();
      assertEquals(
          "notifications/subscriptions/acknowledged", ack.path("method").asText(), ack.toString());
      assertEquals(
          JSON.createObjectNode().put("toolsListChanged", true),
          ack.path("params").path("notifications"),
          ack.toString());
      assertEquals(
          "listen-tools",
          ack.path("params").path("_meta").path("io.modelcontextprotocol/subscriptionId").asText(),
          ack.toString());
      JsonNode promptsAck = prompts.next();
      assertEquals(
          "notifications/subscriptions/acknowledged",
          promptsAck.path("method").asText(),
          promptsAck.toString());
      // the child has no prompts capability: nothing of that filter is accepted
      assertEquals(
          JSON.createObjectNode(),
          promptsAck.path("params").path("notifications"),
          promptsAck.toString());
      JsonNode promptsId =
          promptsAck.path("params").path("_meta").path("io.modelcontextprotocol/subscriptionId");
      assertTrue(promptsId.isInt() && promptsId.asInt() == 77, promptsAck.toString());

      HttpResponse<String> notified =
          modern.send("shared", ModernHttp.toolCall(1, "notify", Map.of(), Map.of()));
      assertEquals("notified", ModernHttp.text(ModernHttp.answer(notified)), notified.body());

      JsonNode changed = tools.next();
      assertEquals(
          "notifications/tools/list_changed", changed.path("method").asText(), changed.toString());
      assertEquals(
          "listen-tools",
          changed
              .path("params")
              .path("_meta")
              .path("io.modelcontextprotocol/subscriptionId")
              .asText(),
          changed.toString());
      // neither the log message nor the tools change reaches the prompts listener, nor the log
      // message the tools listener
      tools.quietFor(2);
      prompts.quietFor(2);
    }
  }

  @Test
  void listenOnAPerSessionKeyIsNotFound() throws Exception {
    HttpResponse<String> refused =
        modern.send(
            "solo",
            ModernHttp.request(
                "listen-solo",
                "subscriptions/listen",
                (ObjectNode)
                    JSON.createObjectNode()
                        .set(
                            "notifications", JSON.createObjectNode().put("toolsListChanged", true)),
                Map.of()));
    assertEquals(404, refused.statusCode(), refused.body());
    JsonNode error = JSON.readTree(refused.body());
    assertEquals("listen-solo", error.path("id").asText(), refused.body());
    assertEquals(
        JsonRpcError.METHOD_NOT_FOUND, error.path("error").path("code").asInt(), refused.body());
  }

  // 7. limits and guards

  private static Map<String, String> modernHeaders(String... extra) {
    Map<String, String> headers =
        RawExchange.headers(
            "Content-Type", "application/json",
            "Accept", "application/json, text/event-stream",
            "MCP-Protocol-Version", ModernHttp.VERSION,
            "Mcp-Method", "tools/call",
            "Mcp-Name", "echo");
    headers.putAll(RawExchange.headers(extra));
    return headers;
  }

  private static String echo(String text) {
    return ModernHttp.toolCall("guarded", "echo", Map.of("text", text), Map.of()).toString();
  }

  @Test
  void aModernRequestWithAForeignOriginIsRefusedLikeALegacyOne() throws Exception {
    RawExchange.Answer allowed =
        RawExchange.send(router.proxyPort(), "POST", "/mcp/shared", modernHeaders(), echo("ok"));
    assertEquals(200, allowed.status(), allowed.body());
    assertEquals("ok", ModernHttp.text(JSON.readTree(allowed.body())), allowed.body());

    RawExchange.Answer modernRefused =
        RawExchange.send(
            router.proxyPort(),
            "POST",
            "/mcp/shared",
            modernHeaders("Origin", "http://evil.example"),
            echo("no"));
    RawExchange.Answer legacyRefused =
        RawExchange.send(
            router.proxyPort(),
            "POST",
            "/mcp/shared",
            RawExchange.headers(
                "Content-Type", "application/json",
                "Accept", "application/json, text/event-stream",
                "Origin", "http://evil.example"),
            McpHttp.initializeRequest().toString());
    assertEquals(403, legacyRefused.status(), legacyRefused.body());
    assertEquals(403, modernRefused.status(), modernRefused.body());
    assertEquals(legacyRefused.body(), modernRefused.body(), "the same refusal for both eras");
  }

  @Test
  void withAccessKeysAModernRequestNeedsACredential() throws Exception {
    String secret = "m0dern-3b8e1f6a9c2d4750";
    RouterConfig config =
        TestRouter.config(
                TestRouter.servers(TestRouter.fake("alpha", true)),
                Optional.empty(),
                "http://127.0.0.1:1")
            .withAccessKeys(
                List.of(
                    new AccessKey(
                        "modern", AccessKey.sha256(secret), Set.of("alpha"), false, false)));
    try (TestRouter guarded = TestRouter.start(config, CommandLine.Command.SERVE, "")) {
      RawExchange.Answer anonymous =
          RawExchange.send(guarded.proxyPort(), "POST", "/mcp/alpha", modernHeaders(), echo("x"));
      assertEquals(401, anonymous.status(), anonymous.body());
      assertTrue(
          anonymous.header("WWW-Authenticate").startsWith("Bearer"),
          anonymous.headers().toString());
      RawExchange.Answer wrong =
          RawExchange.send(
              guarded.proxyPort(),
              "POST",
              "/mcp/alpha",
              modernHeaders("Authorization", "Bearer not-" + secret),
              echo("x"));
      assertEquals(401, wrong.status(), wrong.body());
      RawExchange.Answer holder =
          RawExchange.send(
              guarded.proxyPort(),
              "POST",
              "/mcp/alpha",
              modernHeaders("Authorization", "Bearer " + secret),
              echo("let in"));
      assertEquals(200, holder.status(), holder.body());
      assertEquals("let in", ModernHttp.text(JSON.readTree(holder.body())), holder.body());
    }
  }
}
