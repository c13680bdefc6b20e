package io.mcprouter.routing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.SessionRouting.Recipients;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The resources each session follows at a shared child, counted by URI: the child is subscribed
 * once, when the first session follows a resource, and unsubscribed when the last one stops (or
 * ends), so one session's unsubscribe does not end another's updates. A child that replaced a
 * crashed one is subscribed again to every resource some session follows.
 */
final class Subscriptions {

  private final Map<String, Set<String>> urisBySession = new HashMap<>();
  private final Map<String, Integer> followers = new HashMap<>();

  /**
   * A {@code resources/subscribe} or {@code resources/unsubscribe} on its way to the child: whether
   * the child must get it (the first follower of the URI, or the last one leaving). Any other
   * request goes to the child.
   */
  boolean forward(String sessionId, JsonRpcMessage.Request request) {
    boolean subscribe = "resources/subscribe".equals(request.method());
    if (!subscribe && !"resources/unsubscribe".equals(request.method())) {
      return true;
    }
    String uri = request.params() == null ? null : request.params().path("uri").asText(null);
    if (uri == null) {
      return true; // the child answers the invalid request
    }
    Set<String> uris = urisBySession.computeIfAbsent(sessionId, id -> new HashSet<>());
    if (subscribe) {
      return uris.add(uri) && followers.merge(uri, 1, Integer::sum) == 1;
    }
    if (!uris.remove(uri)) {
      return false; // it did not follow it: nothing changes at the child
    }
    return leave(uri);
  }

  /** The URIs the session followed alone: the child is to be unsubscribed from them. */
  Set<String> sessionClosed(String sessionId) {
    Set<String> uris = urisBySession.remove(sessionId);
    Set<String> last = new HashSet<>();
    if (uris != null) {
      for (String uri : uris) {
        if (leave(uri)) {
          last.add(uri);
        }
      }
    }
    return last;
  }

  private boolean leave(String uri) {
    Integer count = followers.get(uri);
    if (count == null || count <= 1) {
      followers.remove(uri);
      return true;
    }
    followers.put(uri, count - 1);
    return false;
  }

  /**
   * Subscribes a new child to every resource some session follows, once each, as the router's own
   * requests.
   */
  void replay(InFlightTable table, Recipients out) {
    followers
        .keySet()
        .forEach(
            uri ->
                table.sendOwn(
                    "resources/subscribe",
                    JsonNodeFactory.instance.objectNode().put("uri", uri),
                    out));
  }
}
