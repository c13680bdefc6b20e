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
  void aClosedSessionsQueuedRequestsAreDroppedAndItsRunningOneHoldsTheChildUntilAnswered() {
    initialized("A", "B");
    client("A", call(1));
    client("A", call(2));
    client("B", call(1));
    mux.sessionClosed("A", out);
    assertEquals(1, requestsToChild().size(), "B waits: the child may still be working for A");
    JsonRpcMessage.Request running = requestsToChild().get(0);
    answer(running);
    assertEquals(2, requestsToChild().size());
    assertEquals(List.of(), out.delivered.stream().filter(d -> d.sessionId().equals("A")).toList());
    assertEquals(1, mux.inFlight());
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
}
