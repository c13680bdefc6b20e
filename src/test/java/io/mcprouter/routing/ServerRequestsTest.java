package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.SessionRouting.Outcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerRequestsTest {

  private final Map<String, SessionState> sessions = new LinkedHashMap<>();
  private final InFlightTable table = new InFlightTable(new ProgressTokens(), System::nanoTime);
  private final ServerRequests requests =
      new ServerRequests("k", new SharedRoots(List.of("file:///srv")), table, sessions);
  private final RecordingRecipients out = new RecordingRecipients();

  private static JsonNode json(String text) throws Exception {
    return JsonRpcCodec.MAPPER.readTree(text);
  }

  private void session(String id, String capabilities) throws Exception {
    SessionState state = new SessionState();
    state.capabilities = json(capabilities);
    sessions.put(id, state);
  }

  private void working(String session, String method) {
    table.sent(table.nextId(), session, IntNode.valueOf(1), method, null, 0);
  }

  private void ask(String id, String method) throws Exception {
    requests.fromChild(new JsonRpcMessage.Request(json(id), method, null), out);
  }

  private JsonRpcMessage.Response answerToChild() {
    return assertInstanceOf(JsonRpcMessage.Response.class, out.lastToChild());
  }

  @Test
  void theRouterAnswersPingAndRootsItself() throws Exception {
    ask("1", "ping");
    assertEquals(json("{}"), answerToChild().result());
    ask("2", "roots/list");
    assertEquals(json("{\"roots\":[{\"uri\":\"file:///srv\"}]}"), answerToChild().result());
    assertTrue(out.delivered.isEmpty());
  }

  @Test
  void aRequestGoesToTheOneSessionTheChildWorksForAndOnlyItsAnswerReturns() throws Exception {
    session("a", "{\"sampling\":{}}");
    session("b", "{\"sampling\":{}}");
    working("a", "tools/call");
    working("b", "ping");

    ask("\"s1\"", "sampling/createMessage");

    assertEquals(1, out.linesTo("a").size());
    assertTrue(out.toChild.isEmpty());
    JsonRpcMessage.Response fromB = new JsonRpcMessage.Response(json("\"s1\""), json("{}"), null);
    assertEquals(Outcome.ACCEPTED, requests.reply("b", fromB, out));
    assertTrue(out.toChild.isEmpty(), "b was not asked");
    out.accepting = false;
    assertEquals(Outcome.CHILD_BUSY, requests.reply("a", fromB, out));
    out.accepting = true;
    assertEquals(Outcome.ACCEPTED, requests.reply("a", fromB, out));
    assertEquals(1, out.toChild.size());
    requests.reply("a", fromB, out);
    assertEquals(1, out.toChild.size(), "answered once");
  }

  @Test
  void withTwoCandidatesOrNoneOrOnlyTheRouterTheChildIsRefused() throws Exception {
    session("a", "{\"sampling\":{}}");
    session("b", "{\"sampling\":{}}");
    ask("1", "sampling/createMessage");
    assertEquals(JsonRpcError.INTERNAL_ERROR, answerToChild().error().path("code").asInt());
    working(InFlightTable.ROUTER, "resources/subscribe");
    ask("2", "sampling/createMessage");
    assertTrue(
        answerToChild()
            .error()
            .path("message")
            .asText()
            .startsWith("cannot attribute sampling/createMessage"));
    working("a", "tools/call");
    ask("3", "sampling/createMessage");
    assertEquals(json("3"), answerToChild().id());
    assertTrue(answerToChild().isError());
    assertTrue(out.delivered.isEmpty());
  }

  @Test
  void aCapabilityTheClientDidNotDeclareIsRefusedHere() throws Exception {
    session("a", "{\"sampling\":{}}");
    working("a", "tools/call");
    ask("1", "elicitation/create");
    assertEquals(JsonRpcError.METHOD_NOT_FOUND, answerToChild().error().path("code").asInt());
    ask("2", "custom/ask");
    assertEquals(1, out.linesTo("a").size(), "a method with no capability of its own is passed on");
  }

  @Test
  void theChildsCancellationAndAClosedSessionEndWhatWasAsked() throws Exception {
    session("a", "{\"sampling\":{}}");
    working("a", "tools/call");
    ask("1", "sampling/createMessage");
    ask("2", "sampling/createMessage");
    JsonRpcMessage.Notification cancelled =
        new JsonRpcMessage.Notification("notifications/cancelled", json("{\"requestId\":1}"));
    assertTrue(requests.cancelled(cancelled, out));
    assertFalse(requests.cancelled(cancelled, out));
    assertEquals(3, out.linesTo("a").size());

    requests.sessionClosed("a", out);

    assertEquals(json("2"), answerToChild().id());
    assertTrue(answerToChild().isError());
    assertEquals(1, out.toChild.size());
  }
}
