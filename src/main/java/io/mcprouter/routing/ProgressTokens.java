package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.SessionRouting.Recipients;
import java.util.HashMap;
import java.util.Map;

/**
 * Progress tokens over a shared child: two clients may pick the same token, so the child is given
 * the request's upstream id instead (unique by construction), and {@code notifications/progress}
 * for it goes back to the requester alone, under the token its client chose. A route lives as long
 * as its request (see {@link InFlightTable}).
 */
final class ProgressTokens {

  private record Route(String sessionId, JsonNode clientToken) {}

  private final Map<String, Route> routes = new HashMap<>();

  /** The token a client put in {@code params._meta}, or null when there is none to replace. */
  static JsonNode clientToken(JsonNode params) {
    JsonNode token = params == null ? null : params.path("_meta").get("progressToken");
    return token != null && !token.isNull() && params.get("_meta").isObject() ? token : null;
  }

  /**
   * A copy of {@code params} (which has a {@link #clientToken}) with the upstream id as its token:
   * sent nodes are never mutated.
   */
  static JsonNode withUpstreamToken(JsonNode params, long upstreamId) {
    ObjectNode rewritten = (ObjectNode) params.deepCopy();
    ((ObjectNode) rewritten.get("_meta")).put("progressToken", upstreamId);
    return rewritten;
  }

  /** The route key of the token the child was given for that request. */
  static String key(long upstreamId) {
    return "n:" + upstreamId;
  }

  void route(String key, String sessionId, JsonNode clientToken) {
    routes.put(key, new Route(sessionId, clientToken));
  }

  void forget(String key) {
    routes.remove(key);
  }

  /**
   * Sends the child's {@code notifications/progress} to the requester; false when no request has
   * that token.
   */
  boolean toClient(JsonRpcMessage.Notification notification, Recipients out) {
    JsonNode token =
        notification.params() == null ? null : notification.params().get("progressToken");
    Route route = token == null ? null : routes.get(SessionRouting.idKey(token));
    if (route == null) {
      return false;
    }
    ObjectNode params = (ObjectNode) notification.params().deepCopy();
    params.set("progressToken", route.clientToken());
    out.toSession(
        route.sessionId(), new JsonRpcMessage.Notification(notification.method(), params));
    return true;
  }
}
