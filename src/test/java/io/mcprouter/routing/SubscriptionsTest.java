package io.mcprouter.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubscriptionsTest {

  private final Subscriptions subscriptions = new Subscriptions();
  private final InFlightTable table = new InFlightTable(new ProgressTokens(), System::nanoTime);
  private final RecordingRecipients out = new RecordingRecipients();

  private boolean request(String session, String method, String uri) throws Exception {
    return subscriptions.forward(
        session,
        new JsonRpcMessage.Request(
            JsonRpcCodec.MAPPER.readTree("1"),
            method,
            uri == null ? null : JsonRpcCodec.MAPPER.readTree("{\"uri\":\"" + uri + "\"}")));
  }

  private List<String> replayed() {
    out.clear();
    subscriptions.replay(table, out);
    return out.toChild.stream()
        .map(
            m -> {
              JsonRpcMessage.Request r = (JsonRpcMessage.Request) m;
              assertEquals("resources/subscribe", r.method());
              return r.params().path("uri").asText();
            })
        .sorted()
        .toList();
  }

  @Test
  void aNewChildIsSubscribedOnceToWhatSessionsFollow() throws Exception {
    request("a", "resources/subscribe", "file:///x");
    request("b", "resources/subscribe", "file:///x");
    request("b", "resources/subscribe", "file:///y");
    request("a", "resources/subscribe", null);
    request("a", "tools/call", "file:///z");

    assertEquals(List.of("file:///x", "file:///y"), replayed());
    assertEquals(2, table.size(), "the router's own requests, awaiting the child's answer");
  }

  @Test
  void unsubscribingOrClosingStopsFollowing() throws Exception {
    request("a", "resources/subscribe", "file:///x");
    request("a", "resources/subscribe", "file:///y");
    request("b", "resources/subscribe", "file:///z");
    request("a", "resources/unsubscribe", "file:///x");
    request("c", "resources/unsubscribe", "file:///z");
    assertEquals(List.of("file:///y", "file:///z"), replayed());

    subscriptions.sessionClosed("b");
    assertEquals(List.of("file:///y"), replayed());
  }

  @Test
  void theChildIsSubscribedByTheFirstFollowerAndUnsubscribedByTheLast() throws Exception {
    assertTrue(request("a", "resources/subscribe", "file:///x"), "the first follower");
    assertFalse(request("b", "resources/subscribe", "file:///x"), "already subscribed");
    assertFalse(request("a", "resources/subscribe", "file:///x"), "a repeat changes nothing");
    assertFalse(request("a", "resources/unsubscribe", "file:///x"), "b still follows it");
    assertFalse(request("c", "resources/unsubscribe", "file:///x"), "c never followed it");
    assertTrue(request("b", "resources/unsubscribe", "file:///x"), "the last follower left");
    assertTrue(request("b", "tools/call", "file:///x"), "other requests always go");

    request("a", "resources/subscribe", "file:///y");
    request("b", "resources/subscribe", "file:///y");
    request("b", "resources/subscribe", "file:///z");
    assertEquals(Set.of("file:///z"), subscriptions.sessionClosed("b"), "a still follows y");
    assertEquals(Set.of("file:///y"), subscriptions.sessionClosed("a"));
  }
}
