package io.mcprouter.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.AccessKey;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The REST face of multi round-trip calls (issue 15): a {@code /v1/call-tool} that declares {@code
 * capabilities} gets a child's elicitation as an {@code input_required} envelope and goes on with
 * its retry; one that declares nothing gets today's answer; a bad state or answer reaches no child.
 */
class RestInputRoundsTest {

  static final String ALICE = "al1ce-3c9a0e5b2d48c6f7";
  static final String CAROL = "car0l-8e2c91d7f4036b5a";
  private static TestRouter router;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    RouterConfig config =
        TestRouter.config(
                TestRouter.servers(TestRouter.fake("asks", true)),
                Optional.empty(),
                "http://127.0.0.1:1")
            .withAccessKeys(
                List.of(
                    new AccessKey("alice", AccessKey.sha256(ALICE), Set.of("asks"), false, false),
                    new AccessKey("carol", AccessKey.sha256(CAROL), Set.of("asks"), false, false)));
    router = TestRouter.start(config, CommandLine.Command.SERVE, "");
    api = new ApiClient(router.apiPort());
  }

  @AfterAll
  static void stop() throws Exception {
    router.close();
  }

  private static ObjectNode elicit(int rounds) {
    ObjectNode body = SseTestClient.JSON.createObjectNode().put("name", "elicit");
    body.putObject("arguments").put("rounds", rounds);
    body.putObject("capabilities").putObject("elicitation");
    return body;
  }

  private static ObjectNode retry(ObjectNode call, JsonNode asked, String key, String answer) {
    ObjectNode retry = call.deepCopy();
    retry.put("requestState", asked.path("data").path("requestState").asText());
    ObjectNode responses = retry.putObject("inputResponses");
    if (answer != null) {
      ObjectNode accepted = responses.putObject(key).put("action", "accept");
      accepted.putObject("content").put("answer", answer);
    }
    return retry;
  }

  private static void assertAsked(ApiClient.Answer answer, String question) {
    assertEquals(200, answer.status(), answer.body().toString());
    assertEquals(0, answer.code(), answer.body().toString());
    assertEquals("input required", answer.body().path("message").asText());
    assertEquals("input_required", answer.data().path("resultType").asText());
    JsonNode asked = answer.data().path("inputRequests").path("input-1");
    assertEquals("elicitation/create", asked.path("method").asText(), answer.body().toString());
    assertEquals(question, asked.path("params").path("message").asText());
    assertTrue(answer.data().path("requestState").isTextual(), answer.body().toString());
  }

  @Test
  void anOptedInCallIsAskedRoundAfterRoundAndAnsweredWithTheChildsResult() throws Exception {
    ObjectNode call = elicit(2);
    ApiClient.Answer first = api.post("/v1/call-tool", ALICE, call.toString());
    assertAsked(first, "question 1");

    // an empty answer leaves the ask pending: it is asked again, under a new state
    ApiClient.Answer again =
        api.post("/v1/call-tool", ALICE, retry(call, first.body(), "input-1", null).toString());
    assertAsked(again, "question 1");
    assertNotEquals(
        first.data().path("requestState").asText(), again.data().path("requestState").asText());

    ApiClient.Answer second =
        api.post("/v1/call-tool", ALICE, retry(call, again.body(), "input-1", "one").toString());
    assertEquals(200, second.status(), second.body().toString());
    // the child's second elicitation is a new input request of the same call
    assertEquals(
        "question 2",
        second
            .data()
            .path("inputRequests")
            .elements()
            .next()
            .path("params")
            .path("message")
            .asText(),
        second.body().toString());
    String key = second.data().path("inputRequests").fieldNames().next();

    ApiClient.Answer done =
        api.post("/v1/call-tool", ALICE, retry(call, second.body(), key, "two").toString());
    assertEquals(200, done.status(), done.body().toString());
    assertEquals("ok", done.body().path("message").asText(), done.body().toString());
    assertEquals("accept {\"answer\":\"one\"};accept {\"answer\":\"two\"}", done.text());

    // the call has ended: its last state names nothing
    ApiClient.Answer late =
        api.post("/v1/call-tool", ALICE, retry(call, second.body(), key, "three").toString());
    assertEquals(400, late.status(), late.body().toString());
    assertTrue(late.body().path("message").asText().contains("has ended"), late.body().toString());
  }

  @Test
  void aCallerThatDeclaresNothingGetsTodaysAnswer() throws Exception {
    ObjectNode call = elicit(1);
    call.remove("capabilities");
    ApiClient.Answer answer = api.post("/v1/call-tool", ALICE, call.toString());
    assertEquals(200, answer.status(), answer.body().toString());
    assertEquals(
        "error the client of this session did not declare the 'elicitation' capability",
        answer.text(),
        answer.body().toString());
  }

  @Test
  void aBadStateOrAnswerIsRefusedAndNothingReachesTheChild() throws Exception {
    ObjectNode call = elicit(1);
    ApiClient.Answer asked = api.post("/v1/call-tool", ALICE, call.toString());
    assertAsked(asked, "question 1");
    String state = asked.data().path("requestState").asText();

    ObjectNode tampered = retry(call, asked.body(), "input-1", "tampered");
    // one character of the signed body changed
    char c = state.charAt(3);
    tampered.put(
        "requestState", state.substring(0, 3) + (c == 'A' ? 'B' : 'A') + state.substring(4));
    assertRefused(api.post("/v1/call-tool", ALICE, tampered.toString()), "was not issued");

    // another credential allowed on the same server may not take alice's call
    assertRefused(
        api.post("/v1/call-tool", CAROL, retry(call, asked.body(), "input-1", "carol").toString()),
        "another server or credential");

    ObjectNode wrongAnswer = retry(call, asked.body(), "input-1", null);
    wrongAnswer.with("inputResponses").putObject("input-1").put("action", "maybe");
    assertRefused(
        api.post("/v1/call-tool", ALICE, wrongAnswer.toString()), "inputResponses.input-1");

    ObjectNode otherTool = retry(call, asked.body(), "input-1", "other");
    otherTool.with("arguments").put("rounds", 5);
    assertRefused(api.post("/v1/call-tool", ALICE, otherTool.toString()), "name and arguments");

    // the call stayed parked through all of that, and the child heard only the good answer
    ApiClient.Answer done =
        api.post("/v1/call-tool", ALICE, retry(call, asked.body(), "input-1", "good").toString());
    assertEquals(200, done.status(), done.body().toString());
    assertEquals("accept {\"answer\":\"good\"}", done.text());
  }

  @Test
  void malformedRoundTripMembersAreRefused() throws Exception {
    ObjectNode call = elicit(1);
    call.put("capabilities", "elicitation");
    ApiClient.Answer answer = api.post("/v1/call-tool", ALICE, call.toString());
    assertEquals(400, answer.status(), answer.body().toString());
    assertTrue(answer.body().path("message").asText().contains("'capabilities'"));
  }

  private static void assertRefused(ApiClient.Answer answer, String reason) {
    assertEquals(400, answer.status(), answer.body().toString());
    assertFalse(answer.body().path("code").asInt() == 0, answer.body().toString());
    assertTrue(answer.body().path("message").asText().contains(reason), answer.body().toString());
  }
}
