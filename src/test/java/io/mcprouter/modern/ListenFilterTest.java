package io.mcprouter.modern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The subscriptions/listen filter against basic/patterns/subscriptions.mdx: the server MUST NOT
 * send notification types the client has not requested; the acknowledgement reflects the subset it
 * agreed to honour (unsupported types omitted) and carries the subscription id in _meta, as does
 * every notification on the stream; the graceful-closure result.
 */
class ListenFilterTest {

  private static final JsonNode SUB = new IntNode(1);

  private static ObjectNode json(String text) {
    try {
      return (ObjectNode) JsonRpcCodec.MAPPER.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static final ObjectNode ALL =
      json(
          "{\"tools\":{\"listChanged\":true},\"prompts\":{\"listChanged\":true},"
              + "\"resources\":{\"listChanged\":true,\"subscribe\":true}}");

  private static final ObjectNode EVERYTHING_REQUESTED =
      json(
          "{\"toolsListChanged\":true,\"promptsListChanged\":true,\"resourcesListChanged\":true,"
              + "\"resourceSubscriptions\":[\"file:///a\",\"file:///b\"]}");

  private static JsonRpcMessage.Notification notification(String method, String params) {
    return new JsonRpcMessage.Notification(method, params == null ? null : json(params));
  }

  private static final JsonRpcMessage.Notification TOOLS =
      notification("notifications/tools/list_changed", null);
  private static final JsonRpcMessage.Notification PROMPTS =
      notification("notifications/prompts/list_changed", "{}");
  private static final JsonRpcMessage.Notification RESOURCES =
      notification("notifications/resources/list_changed", null);

  private static JsonRpcMessage.Notification updated(String uri) {
    return notification("notifications/resources/updated", "{\"uri\":\"" + uri + "\"}");
  }

  @Test
  void everythingRequestedAndSupportedIsAccepted() {
    ListenFilter filter = ListenFilter.accepted(EVERYTHING_REQUESTED, ALL);
    assertTrue(filter.wants(TOOLS));
    assertTrue(filter.wants(PROMPTS));
    assertTrue(filter.wants(RESOURCES));
    assertTrue(filter.wants(updated("file:///a")));
    assertTrue(filter.wants(updated("file:///b")));
    assertFalse(filter.wants(updated("file:///c")));
    assertEquals(Set.of("file:///a", "file:///b"), filter.resources());
  }

  @Test
  void onlyWhatWasRequestedIsWanted() {
    ListenFilter filter = ListenFilter.accepted(json("{\"toolsListChanged\":true}"), ALL);
    assertTrue(filter.wants(TOOLS));
    assertFalse(filter.wants(PROMPTS));
    assertFalse(filter.wants(RESOURCES));
    assertFalse(filter.wants(updated("file:///a")));
    assertTrue(filter.resources().isEmpty());

    ListenFilter explicitFalse =
        ListenFilter.accepted(
            json("{\"toolsListChanged\":false,\"promptsListChanged\":true}"), ALL);
    assertFalse(explicitFalse.wants(TOOLS));
    assertTrue(explicitFalse.wants(PROMPTS));
  }

  @Test
  void anEmptyFilterWantsNothing() {
    ListenFilter filter = ListenFilter.accepted(json("{}"), ALL);
    for (JsonRpcMessage.Notification n : List.of(TOOLS, PROMPTS, RESOURCES, updated("file:///a"))) {
      assertFalse(filter.wants(n), n::method);
    }
    assertEquals(json("{}"), filter.acknowledgement(SUB).params().get("notifications"));
  }

  @Test
  void whatTheChildCannotSendIsNotAccepted() {
    ObjectNode toolsOnly =
        json(
            "{\"tools\":{\"listChanged\":true},\"prompts\":{},\"resources\":{\"subscribe\":false}}");
    ListenFilter filter = ListenFilter.accepted(EVERYTHING_REQUESTED, toolsOnly);
    assertTrue(filter.wants(TOOLS));
    assertFalse(filter.wants(PROMPTS));
    assertFalse(filter.wants(RESOURCES));
    assertFalse(filter.wants(updated("file:///a")));
    assertTrue(filter.resources().isEmpty());
    assertEquals(
        json("{\"toolsListChanged\":true}"),
        filter.acknowledgement(SUB).params().get("notifications"));

    ListenFilter none = ListenFilter.accepted(EVERYTHING_REQUESTED, json("{}"));
    for (JsonRpcMessage.Notification n : List.of(TOOLS, PROMPTS, RESOURCES, updated("file:///a"))) {
      assertFalse(none.wants(n), n::method);
    }
  }

  @Test
  void resourceSubscriptionsNeedTheSubscribeCapabilityOnly() {
    ListenFilter filter =
        ListenFilter.accepted(EVERYTHING_REQUESTED, json("{\"resources\":{\"subscribe\":true}}"));
    assertTrue(filter.wants(updated("file:///a")));
    assertFalse(filter.wants(RESOURCES));
  }

  @Test
  void otherNotificationsNeverReachTheStream() {
    // request-scoped notifications flow only on their request's stream
    ListenFilter filter = ListenFilter.accepted(EVERYTHING_REQUESTED, ALL);
    assertFalse(filter.wants(notification("notifications/progress", "{\"progressToken\":1}")));
    assertFalse(filter.wants(notification("notifications/message", "{\"level\":\"error\"}")));
    assertFalse(filter.wants(notification("notifications/roots/list_changed", null)));
    assertFalse(filter.wants(notification("notifications/resources/updated", null)));
    assertFalse(filter.wants(notification("notifications/resources/updated", "{}")));
  }

  @Test
  void theAcknowledgementHasTheAcceptedFilterAndTheSubscriptionId() {
    ListenFilter filter = ListenFilter.accepted(EVERYTHING_REQUESTED, ALL);
    JsonRpcMessage.Notification ack = filter.acknowledgement(SUB);
    assertEquals("notifications/subscriptions/acknowledged", ack.method());
    assertEquals(SUB, ack.params().path("_meta").get(ModernProtocol.SUBSCRIPTION_ID));
    assertEquals(
        json(
            "{\"toolsListChanged\":true,\"promptsListChanged\":true,\"resourcesListChanged\":true,"
                + "\"resourceSubscriptions\":[\"file:///a\",\"file:///b\"]}"),
        ack.params().get("notifications"));

    JsonRpcMessage.Notification stringId = filter.acknowledgement(new TextNode("listen-1"));
    assertEquals(
        "listen-1", stringId.params().path("_meta").path(ModernProtocol.SUBSCRIPTION_ID).asText());
  }

  @Test
  void taggedAddsTheSubscriptionIdWithoutMutatingTheInput() {
    JsonRpcMessage.Notification original =
        notification(
            "notifications/resources/updated",
            "{\"uri\":\"file:///a\",\"_meta\":{\"com.example/k\":\"v\"}}");
    JsonNode before = original.params().deepCopy();
    JsonRpcMessage.Notification tagged = ListenFilter.tagged(original, SUB);
    assertEquals("notifications/resources/updated", tagged.method());
    assertEquals("file:///a", tagged.params().path("uri").asText());
    assertEquals(SUB, tagged.params().path("_meta").get(ModernProtocol.SUBSCRIPTION_ID));
    assertEquals("v", tagged.params().path("_meta").path("com.example/k").asText());
    assertEquals(before, original.params());

    JsonRpcMessage.Notification bare = ListenFilter.tagged(TOOLS, SUB);
    assertEquals(json("{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":1}}"), bare.params());
    assertEquals(null, TOOLS.params());
  }

  @Test
  void resourceUrisAreBounded() {
    ObjectNode requested = JsonRpcCodec.MAPPER.createObjectNode();
    ArrayNode uris = requested.putArray("resourceSubscriptions");
    for (int i = 0; i < 2000; i++) {
      uris.add("file:///r" + i);
    }
    String tooLong = "file:///" + "x".repeat(9000);
    uris.insert(0, tooLong);
    uris.insert(1, 42);
    uris.insert(2, "file:///r0"); // a duplicate
    ListenFilter filter = ListenFilter.accepted(requested, ALL);
    assertEquals(1024, filter.resources().size());
    assertFalse(filter.resources().contains(tooLong));
    assertTrue(filter.resources().contains("file:///r0"));
    assertTrue(filter.resources().contains("file:///r1023"));
    assertFalse(filter.resources().contains("file:///r1024"));
    assertFalse(filter.wants(updated(tooLong)));
    assertFalse(filter.wants(updated("file:///r1999")));
    String longest = "file:///" + "y".repeat(8192 - "file:///".length());
    assertTrue(
        ListenFilter.accepted(json("{\"resourceSubscriptions\":[\"" + longest + "\"]}"), ALL)
            .resources()
            .contains(longest));
  }

  @Test
  void theClosedResultIsCompleteAndTagged() {
    JsonNode result = ListenFilter.closedResult(SUB);
    assertEquals(
        json(
            "{\"resultType\":\"complete\",\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":1}}"),
        result);
  }
}
