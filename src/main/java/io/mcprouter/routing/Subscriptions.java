package io.mcprouter.routing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.SessionRouting.Recipients;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The resources each session follows at a shared child, so a child that replaced a crashed one can
 * be subscribed to them again. The child's own subscription state is not tracked: one session's
 * unsubscribe is forwarded like any request.
 */
final class Subscriptions {

  private final Map<String, Set<String>> urisBySession = new HashMap<>();

  /**
   * Notes a {@code resources/subscribe} or {@code resources/unsubscribe} on its way to the child.
   */
  void track(String sessionId, JsonRpcMessage.Request request) {
    boolean subscribe = "resources/subscribe".equals(request.method());
    if (!subscribe && !"resources/unsubscribe".equals(request.method())) {
      return;
    }
    String uri = request.params() == null ? null : request.params().path("uri").asText(null);
    if (uri == null) {
      return;
    }
    if (subscribe) {
      urisBySession.computeIfAbsent(sessionId, id -> new HashSet<>()).add(uri);
    } else if (urisBySession.containsKey(sessionId)) {
      urisBySession.get(sessionId).remove(uri);
    }
  }

  void sessionClosed(String sessionId) {
    urisBySession.remove(sessionId);
  }

  /**
   * Subscribes a new child to every resource some session follows, once each, as the router's own
   * requests.
   */
  void replay(InFlightTable table, Recipients out) {
    urisBySession.values().stream()
        .flatMap(Set::stream)
        .distinct()
        .forEach(
            uri ->
                table.sendOwn(
                    "resources/subscribe",
                    JsonNodeFactory.instance.objectNode().put("uri", uri),
                    out));
  }
}
