package io.mcprouter.transport.streamable;

import static io.mcprouter.testsupport.SseTestClient.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.AccessKey;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.ModernHttp;
import io.mcprouter.testsupport.TestRouter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cancellation of a call parked for input (issue 15): a 2026-07-28 {@code notifications/cancelled}
 * naming the call's request id or a retry's cancels the child's call, only for the credential that
 * made it; a retry that never comes expires at {@code mcprouter.mrtr.park-timeout} and cancels it
 * too. Each test counts the child's cancellations on a key of its own.
 */
class ParkedCallCancelTest {

  private static final String ALICE = "al1ce-9a0e5b2d48c6f73c";
  private static final String CAROL = "car0l-c91d7f4036b5a8e2";
  private static final Duration PARK_TIMEOUT = Duration.ofSeconds(5);

  /** A cancellation's effect must show well before the park timeout would have the same. */
  private static final Duration CANCEL_SEEN = PARK_TIMEOUT.minusSeconds(2);

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestRouter router;
  private static ModernHttp modern;

  @BeforeAll
  static void start() throws Exception {
    Set<String> keys = Set.of("by-id", "by-retry", "foreign", "expires");
    RouterConfig config =
        TestRouter.config(
                TestRouter.servers(
                    TestRouter.fake("by-id", true),
                    TestRouter.fake("by-retry", true),
                    TestRouter.fake("foreign", true),
                    TestRouter.fake("expires", true)),
                Optional.empty(),
                "http://127.0.0.1:1")
            .withAccessKeys(
                List.of(
                    new AccessKey("alice", AccessKey.sha256(ALICE), keys, false, false),
                    new AccessKey("carol", AccessKey.sha256(CAROL), keys, false, false)));
    router =
        TestRouter.start(
            config,
            CommandLine.Command.SERVE,
            "mcprouter.mrtr.park-timeout = " + PARK_TIMEOUT.toMillis() + "ms");
    modern = new ModernHttp(router.proxyPort());
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static JsonNode send(String key, String secret, JsonNode body) throws Exception {
    HttpResponse<String> response =
        modern
            .client()
            .send(
                modern.post(key, body).header("Authorization", "Bearer " + secret).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return ModernHttp.answer(response);
  }

  private static int cancel(String key, String secret, Object requestId) throws Exception {
    ObjectNode body = JSON.createObjectNode().put("jsonrpc", "2.0");
    body.put("method", "notifications/cancelled");
    body.putObject("params").set("requestId", JSON.valueToTree(requestId));
    return modern
        .client()
        .send(
            modern.post(key, body).header("Authorization", "Bearer " + secret).build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  /** An elicit tool call that declared elicitation, with {@code extra} params (a retry's). */
  private static ObjectNode elicit(Object id, int rounds, ObjectNode extra) {
    ObjectNode body = ModernHttp.toolCall(id, "elicit", Map.of("rounds", rounds), Map.of());
    ObjectNode params = (ObjectNode) body.get("params");
    params
        .with("_meta")
        .with("io.modelcontextprotocol/clientCapabilities")
        .putObject("elicitation");
    if (extra != null) {
      params.setAll(extra);
    }
    return body;
  }

  private static ObjectNode answering(JsonNode asked, String answer) {
    ObjectNode extra = JSON.createObjectNode();
    extra.put("requestState", asked.path("result").path("requestState").asText());
    String key = asked.path("result").path("inputRequests").fieldNames().next();
    ObjectNode accepted = extra.putObject("inputResponses").putObject(key).put("action", "accept");
    accepted.putObject("content").put("answer", answer);
    return extra;
  }

  private static JsonNode parked(String key, Object id, int rounds) throws Exception {
    JsonNode asked = send(key, ALICE, elicit(id, rounds, null));
    assertEquals("input_required", asked.path("result").path("resultType").asText(), "" + asked);
    return asked;
  }

  /** How many notifications/cancelled the key's child has received. */
  private static int cancelledAtChild(String key) throws Exception {
    JsonNode stats =
        JSON.readTree(
            ModernHttp.text(
                send(key, ALICE, ModernHttp.toolCall("s", "stats", Map.of(), Map.of()))));
    return stats.path("cancelled").size();
  }

  private static void awaitCancelledAtChild(String key, int count, Duration within)
      throws Exception {
    Await.until(
        within,
        () -> "cancellations at " + key + " = " + count,
        () -> {
          try {
            return cancelledAtChild(key) == count;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  @Test
  void aCancelNamingTheCallsRequestIdCancelsItAtTheChild() throws Exception {
    int before = cancelledAtChild("by-id");
    parked("by-id", "call-1", 1);
    assertEquals(202, cancel("by-id", ALICE, "call-1"));
    awaitCancelledAtChild("by-id", before + 1, CANCEL_SEEN);
  }

  @Test
  void aCancelNamingARetrysIdCancelsTheCallAtTheChild() throws Exception {
    int before = cancelledAtChild("by-retry");
    JsonNode first = parked("by-retry", 7, 2);
    // the retry answers the first question; the child asks its second: parked again
    JsonNode second = send("by-retry", ALICE, elicit(8, 2, answering(first, "one")));
    assertEquals("input_required", second.path("result").path("resultType").asText(), "" + second);
    assertEquals(202, cancel("by-retry", ALICE, 8));
    awaitCancelledAtChild("by-retry", before + 1, CANCEL_SEEN);
    // the call has ended: its state names nothing
    HttpResponse<String> late =
        modern
            .client()
            .send(
                modern
                    .post("by-retry", elicit(9, 2, answering(second, "two")))
                    .header("Authorization", "Bearer " + ALICE)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(400, late.statusCode(), late.body());
  }

  @Test
  void anotherCredentialsCancelWithTheSameIdDoesNothing() throws Exception {
    int before = cancelledAtChild("foreign");
    JsonNode asked = parked("foreign", "same-id", 1);
    assertEquals(202, cancel("foreign", CAROL, "same-id"));
    // alice's call is still parked: her retry is answered with the child's result
    JsonNode done = send("foreign", ALICE, elicit("retry", 1, answering(asked, "still here")));
    assertEquals("accept {\"answer\":\"still here\"}", ModernHttp.text(done), "" + done);
    assertEquals(before, cancelledAtChild("foreign"));
  }

  @Test
  void aParkedCallWhoseRetryNeverComesIsCancelledAtTheChildAtTheParkTimeout() throws Exception {
    int before = cancelledAtChild("expires");
    long parkedAt = System.nanoTime();
    JsonNode asked = parked("expires", "abandoned", 1);
    awaitCancelledAtChild("expires", before + 1, WAIT);
    long waitedMs = Duration.ofNanos(System.nanoTime() - parkedAt).toMillis();
    assertTrue(waitedMs >= PARK_TIMEOUT.toMillis() - 200, "cancelled after " + waitedMs + " ms");
    HttpResponse<String> late =
        modern
            .client()
            .send(
                modern
                    .post("expires", elicit("late", 1, answering(asked, "too late")))
                    .header("Authorization", "Bearer " + ALICE)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(400, late.statusCode(), late.body());
  }
}
