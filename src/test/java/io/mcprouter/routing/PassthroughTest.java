package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

class PassthroughTest {

  private final Passthrough routing = new Passthrough();
  private final RecordingRecipients out = new RecordingRecipients();

  private static JsonRpcMessage msg(String json) {
    return assertInstanceOf(JsonRpcCodec.Ok.class, JsonRpcCodec.parse(json)).message();
  }

  @Test
  void clientMessagesReachTheChildUnchanged() {
    routing.sessionOpened("S");
    List<JsonRpcMessage> sent =
        List.of(
            msg(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}"),
            msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
            msg(
                "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"tools/call\",\"params\":{\"_meta\":{\"progressToken\":\"t\"}}}"),
            msg("{\"jsonrpc\":\"2.0\",\"id\":\"srv\",\"result\":{}}"));
    for (JsonRpcMessage m : sent) {
      assertEquals(SessionRouting.Outcome.ACCEPTED, routing.fromClient("S", m, out));
    }
    assertEquals(sent.size(), out.toChild.size());
    for (int i = 0; i < sent.size(); i++) {
      assertSame(sent.get(i), out.toChild.get(i));
    }
  }

  @Test
  void childMessagesReachTheSessionUnchanged() {
    routing.sessionOpened("S");
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"a\"}"), out);
    List<JsonRpcMessage> received =
        List.of(
            msg(
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\",\"progress\":1}}"),
            msg("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"sampling/createMessage\"}"),
            msg("{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}"));
    for (JsonRpcMessage m : received) {
      assertTrue(routing.fromChild(m, out));
    }
    assertEquals(received.size(), out.delivered.size());
    for (int i = 0; i < received.size(); i++) {
      assertEquals("S", out.delivered.get(i).sessionId());
      assertSame(received.get(i), out.delivered.get(i).message());
    }
  }

  @Test
  void requestsAreTrackedUntilAnswered() {
    routing.sessionOpened("S");
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}"), out);
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"b\"}"), out);
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}"), out);
    assertEquals(List.of(IntNode.valueOf(1), TextNode.valueOf("1")), routing.inFlightIds());
    assertEquals(2, routing.inFlight());

    routing.fromChild(msg("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}"), out);
    assertEquals(List.of(IntNode.valueOf(1)), routing.inFlightIds());
    routing.fromChild(
        msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-1,\"message\":\"m\"}}"), out);
    assertEquals(List.of(), routing.inFlightIds());
  }

  @Test
  void clientCancellationStopsTrackingTheRequestAndIsForwarded() {
    routing.sessionOpened("S");
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"a\"}"), out);
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":\"5\",\"method\":\"b\"}"), out);
    JsonRpcMessage cancel =
        msg(
            "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5}}");
    assertEquals(SessionRouting.Outcome.ACCEPTED, routing.fromClient("S", cancel, out));
    assertSame(cancel, out.toChild.get(out.toChild.size() - 1));
    assertEquals(List.of(TextNode.valueOf("5")), routing.inFlightIds());
  }

  @Test
  void refusedWriteIsChildBusyAndNotTracked() {
    routing.sessionOpened("S");
    out.accepting = false;
    assertEquals(
        SessionRouting.Outcome.CHILD_BUSY,
        routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}"), out));
    assertEquals(List.of(), routing.inFlightIds());
  }

  @Test
  void aLateAnswerAfterTheRouterFailedTheRequestIsDropped() {
    routing.sessionOpened("S");
    routing.fromClient(
        "S", msg("{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\"}"), out);
    routing
        .inFlightIds()
        .forEach(
            id ->
                routing.fromChild(
                    JsonRpcMessage.failure(
                        id,
                        new JsonRpcError(JsonRpcError.SERVER_GONE, "server 'k' was force-stopped")),
                    out));
    // the child, killed but not yet gone, still writes its answer: the client already has one
    assertFalse(routing.fromChild(msg("{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"result\":{}}"), out));
    assertFalse(
        routing.fromChild(msg("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}"), out), "never asked");
    assertEquals(1, out.delivered.size(), out.delivered.toString());
  }

  @Test
  void failingInFlightIdsDeliversTheErrorsToTheSession() {
    routing.sessionOpened("S");
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"a\"}"), out);
    routing
        .inFlightIds()
        .forEach(
            id ->
                routing.fromChild(
                    JsonRpcMessage.failure(id, new JsonRpcError(JsonRpcError.SERVER_GONE, "gone")),
                    out));
    assertEquals(
        List.of("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32000,\"message\":\"gone\"}}"),
        out.delivered.stream().map(d -> JsonRpcCodec.encode(d.message())).toList());
    assertEquals(0, routing.inFlight());
  }

  @Test
  void afterTheSessionClosesNothingIsDeliveredOrTracked() {
    routing.sessionOpened("S");
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}"), out);
    routing.sessionClosed("S", out);
    assertEquals(List.of(), routing.inFlightIds());
    assertFalse(
        routing.fromChild(msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}"), out));
    assertTrue(out.delivered.isEmpty());
  }

  @Test
  void closingAnotherSessionIdChangesNothing() {
    routing.sessionOpened("S");
    routing.fromClient("S", msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}"), out);
    routing.sessionClosed("other", out);
    assertEquals(1, routing.inFlight());
    assertTrue(routing.fromChild(msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"), out));
    assertEquals("S", out.delivered.get(0).sessionId());
  }
}
