package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What one {@code subscriptions/listen} stream receives: the notification types its client opted in
 * to, as far as the child can send them. Each type is opt-in; nothing else reaches the stream.
 */
public final class ListenFilter {

  /** The list-changed notifications, by the filter member that opts in to them. */
  private static final Map<String, String> LIST_CHANGED =
      Map.of(
          "notifications/tools/list_changed", "toolsListChanged",
          "notifications/prompts/list_changed", "promptsListChanged",
          "notifications/resources/list_changed", "resourcesListChanged");

  private static final Map<String, String> FEATURE_OF =
      Map.of(
          "toolsListChanged", "tools",
          "promptsListChanged", "prompts",
          "resourcesListChanged", "resources");

  private static final int MAX_RESOURCE_SUBSCRIPTIONS = 1024;
  private static final int MAX_URI_LENGTH = 8192;

  private final Set<String> listChanged;
  private final Set<String> resources;

  private ListenFilter(Set<String> listChanged, Set<String> resources) {
    this.listChanged = listChanged;
    this.resources = resources;
  }

  /**
   * The filter the router agrees to honour: what {@code requested} (the request's {@code
   * params.notifications}) asks for and the child's {@code capabilities} can deliver. A bounded
   * number of resource URIs is kept.
   */
  public static ListenFilter accepted(JsonNode requested, JsonNode capabilities) {
    Set<String> listChanged = new LinkedHashSet<>();
    FEATURE_OF.forEach(
        (member, feature) -> {
          if (requested.path(member).asBoolean(false)
              && capabilities.path(feature).path("listChanged").asBoolean(false)) {
            listChanged.add(member);
          }
        });
    Set<String> resources = new LinkedHashSet<>();
    if (capabilities.path("resources").path("subscribe").asBoolean(false)) {
      for (JsonNode uri : requested.path("resourceSubscriptions")) {
        if (uri.isTextual()
            && uri.asText().length() <= MAX_URI_LENGTH
            && resources.size() < MAX_RESOURCE_SUBSCRIPTIONS) {
          resources.add(uri.asText());
        }
      }
    }
    return new ListenFilter(listChanged, resources);
  }

  /** The resource URIs to subscribe to at the child for this stream. */
  public Set<String> resources() {
    return resources;
  }

  public boolean wants(JsonRpcMessage.Notification notification) {
    String member = LIST_CHANGED.get(notification.method());
    if (member != null) {
      return listChanged.contains(member);
    }
    if ("notifications/resources/updated".equals(notification.method())) {
      return notification.params() != null
          && resources.contains(notification.params().path("uri").asText(null));
    }
    return false;
  }

  /** The stream's first message: the filter accepted, tagged with the subscription's id. */
  public JsonRpcMessage.Notification acknowledgement(JsonNode subscriptionId) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    ObjectNode notifications = params.putObject("notifications");
    listChanged.forEach(member -> notifications.put(member, true));
    if (!resources.isEmpty()) {
      ArrayNode uris = notifications.putArray("resourceSubscriptions");
      resources.forEach(uris::add);
    }
    params.putObject("_meta").set(ModernProtocol.SUBSCRIPTION_ID, subscriptionId);
    return new JsonRpcMessage.Notification("notifications/subscriptions/acknowledged", params);
  }

  /** A child's notification as the stream carries it: tagged with the subscription's id. */
  public static JsonRpcMessage.Notification tagged(
      JsonRpcMessage.Notification notification, JsonNode subscriptionId) {
    ObjectNode params =
        notification.params() != null && notification.params().isObject()
            ? ((ObjectNode) notification.params()).deepCopy()
            : JsonNodeFactory.instance.objectNode();
    JsonNode meta = params.get("_meta");
    ObjectNode metaObject = meta instanceof ObjectNode o ? o : params.putObject("_meta");
    metaObject.set(ModernProtocol.SUBSCRIPTION_ID, subscriptionId);
    return new JsonRpcMessage.Notification(notification.method(), params);
  }

  /** The listen's result when the router ends the stream (the server is stopping). */
  public static JsonNode closedResult(JsonNode subscriptionId) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.put("resultType", "complete");
    result.putObject("_meta").set(ModernProtocol.SUBSCRIPTION_ID, subscriptionId);
    return result;
  }
}
