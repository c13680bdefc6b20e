package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InFlightTableTest {

  private final ProgressTokens progress = new ProgressTokens();
  private final InFlightTable table = new InFlightTable(progress, System::nanoTime);
  private final RecordingRecipients out = new RecordingRecipients();

  private long send(String session, String clientId, String method) {
    long id = table.nextId();
    table.sent(id, session, TextNode.valueOf(clientId), method, null, 0);
    table.mapClientId(session, TextNode.valueOf(clientId), id);
    return id;
  }

  private boolean progressRouted(long upstreamId) {
    var params =
        JsonNodeFactory.instance.objectNode().put("progressToken", upstreamId).put("progress", 1);
    return progress.toClient(
        new JsonRpcMessage.Notification("notifications/progress", params), out);
  }

  @Test
  void idsAreOneSequenceAndAnAnswerForgetsTheClientIdAndTheProgressRoute() {
    long first = table.nextId();
    long id = table.nextId();
    assertEquals(first + 1, id);
    table.sent(id, "a", IntNode.valueOf(7), "tools/call", ProgressTokens.key(id), 0);
    table.mapClientId("a", IntNode.valueOf(7), id);
    progress.route(ProgressTokens.key(id), "a", TextNode.valueOf("tok"));

    InFlightTable.Pending answered = table.answered(id);

    assertEquals("a", answered.sessionId());
    assertEquals(IntNode.valueOf(7), answered.clientId());
    assertNull(table.takeByClientId("a", IntNode.valueOf(7)));
    assertFalse(progressRouted(id));
    assertNull(table.answered(id), "answered once");
    assertEquals(0, table.size());
  }

  @Test
  void clientIdsAreKeptApartBySessionAndByType() {
    long id = send("a", "1", "tools/call");
    assertNull(table.takeByClientId("b", TextNode.valueOf("1")));
    assertNull(table.takeByClientId("a", IntNode.valueOf(1)), "1 and \"1\" are different ids");
    assertEquals(id, table.takeByClientId("a", TextNode.valueOf("1")));
  }

  @Test
  void aCancelledRequestStaysOwnedButNoLongerHoldsTheChild() {
    long id = send("a", "1", "tools/call");
    assertTrue(table.anyAtChild(owner -> true));

    table.cancel(id);

    assertFalse(table.anyAtChild(owner -> true));
    assertEquals(Set.of("a"), table.owners(), "the child may still be working on it");
    assertEquals(1, table.size());
    assertNull(table.takeByClientId("a", TextNode.valueOf("1")));
    assertTrue(table.answered(id).cancelled());
  }

  @Test
  void pingsNeitherHoldTheChildNorMakeAnOwner() {
    send("a", "1", "ping");
    assertFalse(table.anyAtChild(owner -> true));
    assertEquals(Set.of(), table.owners());
    send("b", "1", "tools/call");
    assertEquals(Set.of("b"), table.owners());
    assertEquals(1, table.countFor("a"));
  }

  @Test
  void abandonCancelsASessionsRequestsExceptTheKeptOneAndThoseCancelledBefore() {
    long kept = send("a", "0", "initialize");
    long told = send("a", "1", "tools/call");
    long open = send("a", "2", "tools/call");
    long other = send("b", "1", "tools/call");
    table.cancel(told);

    assertEquals(List.of(open), table.abandon("a", kept));

    assertFalse(table.answered(kept).cancelled());
    assertTrue(table.answered(open).cancelled());
    assertFalse(table.answered(other).cancelled());
  }

  @Test
  void theRoutersOwnRequestsSpendAnIdEvenWhenRefused() {
    out.accepting = false;
    assertNull(table.sendOwn("resources/subscribe", JsonNodeFactory.instance.objectNode(), out));
    out.accepting = true;
    Long id = table.sendOwn("resources/subscribe", JsonNodeFactory.instance.objectNode(), out);

    assertEquals(2L, id);
    JsonRpcMessage.Request sent = assertInstanceOf(JsonRpcMessage.Request.class, out.lastToChild());
    assertEquals(2L, sent.id().longValue());
    assertEquals(Set.of(InFlightTable.ROUTER), table.owners());
    List<SessionRouting.InFlight> all = new ArrayList<>();
    table.addTo(all, session -> false);
    assertEquals(1, all.size());
    assertEquals("resources/subscribe", all.get(0).method());
  }

  @Test
  void aQueuedRequestLeavingUnsentForgetsItsRoutes() {
    long id = table.nextId();
    table.mapClientId("a", TextNode.valueOf("q"), id);
    progress.route(ProgressTokens.key(id), "a", TextNode.valueOf("tok"));

    table.forgetQueued(
        new SerialQueue.Waiting(
            id, "a", TextNode.valueOf("q"), null, ProgressTokens.key(id), true, 0));

    assertNull(table.takeByClientId("a", TextNode.valueOf("q")));
    assertFalse(progressRouted(id));
  }
}
