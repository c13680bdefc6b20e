package io.mcprouter.modern;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A parked call is found only under its own key and owner, by its state's id or a request id. */
class ParkedCallsTest {

  private final ParkedCalls<String> parked = new ParkedCalls<>();

  @Test
  void aCallIsFoundOnlyForItsKeyAndOwner() {
    String id = parked.register("everything", "alice", "alice's call", TextNode.valueOf("1"));
    assertEquals(Optional.of("alice's call"), parked.find(id, "everything", "alice"));
    assertEquals(Optional.empty(), parked.find(id, "everything", "bob"));
    assertEquals(Optional.empty(), parked.find(id, "other", "alice"));
    assertEquals(
        Optional.of("alice's call"), parked.named("everything", "alice", TextNode.valueOf("1")));
    assertEquals(Optional.empty(), parked.named("everything", "bob", TextNode.valueOf("1")));
    // "1" and 1 are different JSON-RPC ids
    assertEquals(Optional.empty(), parked.named("everything", "alice", IntNode.valueOf(1)));
  }

  @Test
  void aRetrysIdNamesTheCallUntilItEnds() {
    String id = parked.register("everything", "alice", "call", IntNode.valueOf(7));
    parked.retriedAs(id, IntNode.valueOf(8));
    assertEquals(Optional.of("call"), parked.named("everything", "alice", IntNode.valueOf(8)));
    assertEquals(Optional.of("call"), parked.named("everything", "alice", IntNode.valueOf(7)));
    parked.remove(id);
    assertEquals(Optional.empty(), parked.named("everything", "alice", IntNode.valueOf(8)));
    assertEquals(Optional.empty(), parked.find(id, "everything", "alice"));
  }

  @Test
  void aCallWithoutARequestIdIsNamedByNoCancellation() {
    String id = parked.register("everything", "alice", "rest call", null);
    assertEquals(Optional.of("rest call"), parked.find(id, "everything", "alice"));
    assertEquals(Optional.empty(), parked.named("everything", "alice", null));
  }
}
