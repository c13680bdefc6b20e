package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code interactive = "serialize"}: one client request at a time at the child, the rest in order.
 */
class SerializedMultiplexerTest {

  private static final String INIT_RESULT =
      "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"s\",\"version\":\"1\"}}";
  private static final String CAPS = "{\"sampling\":{}}";

  private final Multiplexer mux =
      new Multiplexer("k", ServerSpec.Interactive.SERIALIZE, List.of(), 3);
  private final RecordingRecipients out = new RecordingRecipients();

  private static JsonRpcMessage msg(String json) {
    return assertInstanceOf(JsonRpcCodec.Ok.class, JsonRpcCodec.parse(json)).message();
  }

  private SessionRouting.Outcome client(String session, String json) {
    return mux.fromClient(session, msg(json), out);
  }

  private void child(String json) {
    mux.fromChild(msg(json), out);
  }

  private static String call(Object id) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\"t\"}}";
  }

  private void initialized(String... sessions) {
    for (String session : sessions) {
      mux.sessionOpened(session);
      client(
          session,
          "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"capabilities\":"
              + CAPS
              + "}}");
      if (!out.toChild.isEmpty()
          && out.lastToChild() instanceof JsonRpcMessage.Request r
          && r.method().equals("initialize")) {
        child("{\"jsonrpc\":\"2.0\",\"id\":" + r.id() + ",\"result\":" + INIT_RESULT + "}");
      }
      client(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }
    out.clear();
  }

  private List<JsonRpcMessage.Request> requestsToChild() {
    return out.toChild.stream()
        .filter(m -> m instanceof JsonRpcMessage.Request)
        .map(m -> (JsonRpcMessage.Request) m)
        .toList();
  }

  private void answer(JsonRpcMessage.Request request) {
    child("{\"jsonrpc\":\"2.0\",\"id\":" + request.id() + ",\"result\":{\"ok\":true}}");
  }

  @Test
  void requestsReachTheChildOneAtATimeInArrivalOrderAndEachServerRequestFindsItsSession() {
    initialized("A", "B", "C");
    client("A", call(1));
    client("B", call(1));
    client("C", call("\"c\""));
    assertEquals(1, requestsToChild().size(), "one at a time");
    assertEquals(3, mux.inFlight());
    assertEquals(1, mux.inFlightFor("B"), "a queued request is in flight for its client");

    for (String session : List.of("A", "B", "C")) {
      JsonRpcMessage.Request current = requestsToChild().get(requestsToChild().size() - 1);
      child(
          "{\"jsonrpc\":\"2.0\",\"id\":\"ask-"
              + session
              + "\",\"method\":\"sampling/createMessage\"}");
      assertEquals(1, out.linesTo(session).size(), session + " is asked: " + out.delivered);
      answer(current);
    }
    assertEquals(3, requestsToChild().size());
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"result\":{\"ok\":true}}"),
        out.linesTo("C").subList(1, 2));
    assertEquals(0, mux.inFlight());
  }

  @Test
  void pingsAndNotificationsPassTheQueue() {
    initialized("A", "B");
    client("A", call(1));
    client("B", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}");
    client("B", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/custom\"}");
    assertEquals(
        List.of("tools/call", "ping"),
        requestsToChild().stream().map(JsonRpcMessage.Request::method).toList());
    assertEquals(3, out.toChild.size());
    child("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"sampling/createMessage\"}");
    assertEquals(
        1, out.linesTo("A").size(), "a ping in flight asks nothing: A is still the only candidate");
  }

  @Test
  void cancellingAQueuedRequestTakesItOffTheQueueWithoutTellingTheChild() {
    initialized("A", "B");
    client("A", call(1));
    client("B", call(7));
    client(
        "B",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7}}");
    assertEquals(
        1, out.toChild.size(), "the child never saw B's request, so it is not told of the cancel");
    assertEquals(0, mux.inFlightFor("B"));
    answer(requestsToChild().get(0));
    assertEquals(1, requestsToChild().size(), "nothing else was waiting");
    assertEquals(List.of(), out.linesTo("B"), "MCP: a cancelled request gets no answer");
  }

  @Test
  void cancellingTheRunningRequestLetsTheNextOneGoAndTheChildsLateAnswerIsDropped() {
    initialized("A", "B");
    client("A", call(1));
    client("B", call(7));
    JsonRpcMessage.Request running = requestsToChild().get(0);
    client(
        "A",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}");
    // servers built on the SDKs never answer a cancelled request: waiting for it would stall the
    // key
    assertEquals(2, requestsToChild().size(), "B's request went at once: " + out.toChild);
    child("{\"jsonrpc\":\"2.0\",\"id\":\"ask\",\"method\":\"sampling/createMessage\"}");
    assertEquals(
        List.of(),
        out.linesTo("B"),
        "A's cancelled request may still be running: whose prompt it is is unsure");
    answer(running);
    assertEquals(List.of(), out.linesTo("A"), "MCP: a cancelled request gets no answer");
    answer(requestsToChild().get(1));
    assertEquals(1, out.linesTo("B").size());
  }

  @Test
  void aFullQueueAnswersTheNewRequestWithAnError() throws Exception {
    initialized("A", "B");
    client("A", call(1));
    client("B", call(1));
    client("B", call(2));
    client("B", call(3));
    assertEquals(SessionRouting.Outcome.ACCEPTED, client("B", call(4)));
    JsonNode refusal = JsonRpcCodec.MAPPER.readTree(out.linesTo("B").get(0));
    assertEquals(4, refusal.path("id").asInt());
    assertEquals(JsonRpcError.UNAVAILABLE, refusal.path("error").path("code").asInt());
    assertTrue(
        refusal.path("error").path("message").asText().contains("one request at a time"),
        refusal.toString());
  }

  @Test
  void failingEverythingInFlightEmptiesTheQueueBeforeTheRunningRequestSoNothingReachesADeadChild() {
    initialized("A", "B");
    client("A", call(1));
    client("B", call(1));
    JsonRpcError gone = new JsonRpcError(JsonRpcError.SERVER_GONE, "server exited");
    for (JsonNode id : mux.inFlightIds()) {
      mux.fromChild(JsonRpcMessage.failure(id, gone), out);
    }
    assertEquals(1, requestsToChild().size());
    assertEquals(1, out.linesTo("A").size());
    assertEquals(1, out.linesTo("B").size());
    assertEquals(0, mux.inFlight());
  }

  @Test
  void aFullStdinWhenTheTurnComesAnswersTheWaitingRequest() throws Exception {
    initialized("A", "B");
    client("A", call(1));
    client("B", call(5));
    out.accepting = false;
    answer((JsonRpcMessage.Request) out.toChild.get(0));
    JsonNode refusal = JsonRpcCodec.MAPPER.readTree(out.linesTo("B").get(0));
    assertEquals(5, refusal.path("id").asInt());
    assertEquals(JsonRpcError.UNAVAILABLE, refusal.path("error").path("code").asInt());
    assertEquals(0, mux.inFlight());
  }

  @Test
  void aClosedSessionsQueuedRequestsAreDroppedAndItsRunningOneNoLongerHoldsTheChild() {
    initialized("A", "B");
    client("A", call(1));
    client("A", call(2));
    client("B", call(1));
    mux.sessionClosed("A", out);
    // as for a cancel: the SDKs' servers never answer what was cancelled, so waiting for it would
    // stall the key for a request timeout (it did, until the child happened to answer)
    assertEquals(
        List.of("tools/call", "tools/call"),
        requestsToChild().stream().map(JsonRpcMessage.Request::method).toList(),
        "A's first request and B's; A's queued second one never reaches the child");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"ask\",\"method\":\"sampling/createMessage\"}");
    assertEquals(
        List.of(), out.linesTo("B"), "A's request may still be running: the ask is nobody's");
    JsonRpcMessage.Request running = requestsToChild().get(0);
    answer(running);
    assertEquals(List.of(), out.delivered.stream().filter(d -> d.sessionId().equals("A")).toList());
    assertEquals(1, mux.inFlight());
  }

  /** A 2025 session that declared nothing it could be asked. */
  private void initializedPlain(String... sessions) {
    for (String session : sessions) {
      mux.sessionOpened(session);
      client(
          session,
          "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}");
      answerInitialize();
      client(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    }
    out.clear();
  }

  /** A 2026-07-28 request's session: the router's initialize, with what the request declared. */
  private void initializedModern(String session, String declared) {
    mux.sessionOpened(session);
    client(
        session,
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"capabilities\":"
            + "{\"sampling\":{},\"elicitation\":{}},\"_meta\":{\"io.mcprouter/declared\":"
            + declared
            + "}}}");
    answerInitialize();
    client(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    out.clear();
  }

  private void answerInitialize() {
    if (!out.toChild.isEmpty()
        && out.lastToChild() instanceof JsonRpcMessage.Request r
        && r.method().equals("initialize")) {
      assertTrue(
          !r.params().path("_meta").has("io.mcprouter/declared"),
          "the router's marker never reaches the child: " + r);
      child("{\"jsonrpc\":\"2.0\",\"id\":" + r.id() + ",\"result\":" + INIT_RESULT + "}");
    }
  }

  @Test
  void callsOfSessionsThatCanBeAskedNothingShareTheChildAndAnInteractiveOneWaitsForThemAll() {
    initialized("I");
    initializedPlain("N1", "N2");
    initializedModern("M", "{}");
    client("N1", call(1));
    client("N2", call(1));
    client("M", call(1));
    assertEquals(3, requestsToChild().size(), "nobody can be asked for them: no need to wait");
    client("I", call(1));
    client("N1", call(2));
    assertEquals(3, requestsToChild().size(), "I waits for the child, N1's next waits behind I");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"ask\",\"method\":\"sampling/createMessage\"}");
    assertEquals(List.of(), out.linesTo("I"), "I is not at the child: the ask is not its");
    answer(requestsToChild().get(0));
    answer(requestsToChild().get(1));
    assertEquals(3, requestsToChild().size());
    answer(requestsToChild().get(2));
    assertEquals(4, requestsToChild().size(), "I's turn");
    assertEquals(4, requestsToChild().size(), "N1's second waits while I is at the child");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"ask2\",\"method\":\"sampling/createMessage\"}");
    assertEquals(1, out.linesTo("I").stream().filter(l -> l.contains("ask2")).count());
    answer(requestsToChild().get(3));
    assertEquals(5, requestsToChild().size());
  }

  @Test
  void aParkedCallHoldsNobodyAndItsResumptionWaitsForTheInteractiveCallAtTheChild() {
    initializedModern("P", "{\"elicitation\":{}}");
    initializedModern("Q", "{\"elicitation\":{}}");
    client("P", call(1));
    client("Q", call(1));
    assertEquals(1, requestsToChild().size(), "serialized");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"e1\",\"method\":\"elicitation/create\"}");
    assertEquals(1, out.linesTo("P").size(), "P's call asked its client");
    mux.sessionParked("P", true, out);
    assertEquals(2, requestsToChild().size(), "P waits for its client: Q goes meanwhile");

    mux.sessionParked("P", false, out); // P's retry came while Q is at the child
    client("P", "{\"jsonrpc\":\"2.0\",\"id\":\"e1\",\"result\":{\"action\":\"accept\"}}");
    assertEquals(2, out.toChild.size(), "P's answer is held: the child is working for Q");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"e2\",\"method\":\"elicitation/create\"}");
    assertEquals(1, out.linesTo("Q").size(), "P still parked for attribution: the ask is Q's");

    client("Q", "{\"jsonrpc\":\"2.0\",\"id\":\"e2\",\"result\":{\"action\":\"decline\"}}");
    answer(requestsToChild().get(1)); // Q's call ends
    List<JsonRpcMessage> sent = out.toChild;
    JsonRpcMessage last = sent.get(sent.size() - 1);
    assertInstanceOf(JsonRpcMessage.Response.class, last);
    assertEquals("\"e1\"", ((JsonRpcMessage.Response) last).id().toString(), "P resumed");
    child("{\"jsonrpc\":\"2.0\",\"id\":\"e3\",\"method\":\"elicitation/create\"}");
    assertEquals(1, out.linesTo("P").stream().filter(l -> l.contains("e3")).count());
  }

  @Test
  void aRootsListOfTheOneCallAtTheChildGoesToAModernRequestThatDeclaredRoots() {
    initializedModern("R", "{\"roots\":{}}");
    initialized("L"); // a 2025 session: its roots never reach a shared child
    String rootsAsk = "{\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"method\":\"roots/list\"}";
    client("L", call(1));
    child(rootsAsk);
    JsonRpcMessage.Response own =
        assertInstanceOf(JsonRpcMessage.Response.class, out.lastToChild());
    assertEquals("{\"roots\":[]}", own.result().toString(), "the router answers for L");
    answer(requestsToChild().get(0));

    client("R", call(2));
    int before = out.toChild.size();
    child(rootsAsk.replace("r1", "r2"));
    assertEquals(before, out.toChild.size(), "not answered by the router");
    assertEquals(1, out.linesTo("R").size(), "asked of the request that declared roots");
    client(
        "R",
        "{\"jsonrpc\":\"2.0\",\"id\":\"r2\",\"result\":{\"roots\":[{\"uri\":\"file:///r\"}]}}");
    JsonRpcMessage.Response given =
        assertInstanceOf(JsonRpcMessage.Response.class, out.lastToChild());
    assertEquals("file:///r", given.result().path("roots").path(0).path("uri").asText());
  }
}
