package io.mcprouter.server;

import io.mcprouter.routing.Multiplexer;

import io.mcprouter.routing.SessionRouting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Requests the router makes itself (the REST API's list-tools and call-tool) on a shared child. Each
 * call is a short-lived pseudo-session of the {@link Multiplexer}: it initializes (answered from the
 * cache once the child is initialized), sends its one request, and closes. So API calls get id
 * rewriting, progress isolation and cancellation from the same mechanism as MCP clients, and a
 * timed-out call is cancelled at the child by closing its pseudo-session.
 */
public final class DirectCalls {

  static final String PREFIX = "direct-";
  private static final JsonNode INIT_ID = TextNode.valueOf("initialize");
  private static final JsonNode CALL_ID = TextNode.valueOf("call");

  /** How a call ended: a result, or an error and whether the MCP server itself gave it. */
  record Outcome(JsonNode result, JsonRpcError error, boolean fromServer) {}

  private record Pending(String method, JsonNode params, BiConsumer<String, Outcome> onDone) {}

  private final Map<String, Pending> pending = new HashMap<>();
  private long counter;

  static boolean isDirect(String sessionId) {
    return sessionId.startsWith(PREFIX);
  }

  /**
   * Starts a call; {@code onDone} gets the pseudo-session id and the outcome. Returns the session id,
   * or null when the child's stdin buffer refused the call (nothing is pending then).
   */
  String start(String method, JsonNode params, BiConsumer<String, Outcome> onDone,
      SessionRouting routing, SessionRouting.Outbox out) {
    String sessionId = PREFIX + (++counter);
    routing.sessionOpened(sessionId);
    pending.put(sessionId, new Pending(method, params, onDone));
    if (routing.fromClient(sessionId, new JsonRpcMessage.Request(INIT_ID, "initialize", initializeParams()), out)
        != SessionRouting.Outcome.ACCEPTED) {
      pending.remove(sessionId);
      routing.sessionClosed(sessionId, out);
      return null;
    }
    return sessionId;
  }

  /** A message routed to a pseudo-session: the answer to its initialize, to its call, or a server request. */
  void deliver(String sessionId, JsonRpcMessage message, SessionRouting routing, SessionRouting.Outbox out) {
    Pending call = pending.get(sessionId);
    if (call == null) {
      return;
    }
    if (message instanceof JsonRpcMessage.Response response && INIT_ID.equals(response.id())) {
      if (response.isError()) {
        finish(sessionId, new Outcome(null, toError(response.error()), true), routing, out);
        return;
      }
      routing.fromClient(sessionId, new JsonRpcMessage.Notification("notifications/initialized", null), out);
      if (routing.fromClient(sessionId, new JsonRpcMessage.Request(CALL_ID, call.method(), call.params()), out)
          != SessionRouting.Outcome.ACCEPTED) {
        finish(sessionId, new Outcome(null, new JsonRpcError(JsonRpcError.UNAVAILABLE,
            "the server's stdin buffer is full, retry later"), false), routing, out);
      }
    } else if (message instanceof JsonRpcMessage.Response response && CALL_ID.equals(response.id())) {
      finish(sessionId, response.isError()
          ? new Outcome(null, toError(response.error()), !madeByRouter(response.error()))
          : new Outcome(response.result(), null, true), routing, out);
    } else if (message instanceof JsonRpcMessage.Request request && "ping".equals(request.method())) {
      routing.fromClient(sessionId, JsonRpcMessage.success(request.id(), JsonNodeFactory.instance.objectNode()), out);
    }
  }

  /** Ends a call with a router-made error (timeout, server gone); cancels it at the child if in flight. */
  void fail(String sessionId, JsonRpcError error, SessionRouting routing, SessionRouting.Outbox out) {
    finish(sessionId, new Outcome(null, error, false), routing, out);
  }

  void failAll(JsonRpcError error, SessionRouting routing, SessionRouting.Outbox out) {
    for (String sessionId : pending.keySet().toArray(String[]::new)) {
      fail(sessionId, error, routing, out);
    }
  }

  int inFlight() {
    return pending.size();
  }

  private void finish(String sessionId, Outcome outcome, SessionRouting routing, SessionRouting.Outbox out) {
    Pending call = pending.remove(sessionId);
    if (call != null) {
      routing.sessionClosed(sessionId, out);
      call.onDone().accept(sessionId, outcome);
    }
  }

  /** Errors the router answers for the server (timeouts, a dead child) use the router's own codes. */
  private static boolean madeByRouter(JsonNode error) {
    int code = error.path("code").asInt();
    return code <= JsonRpcError.SERVER_GONE && code >= JsonRpcError.TIMEOUT;
  }

  private static JsonRpcError toError(JsonNode error) {
    return new JsonRpcError(error.path("code").asInt(JsonRpcError.INTERNAL_ERROR),
        error.path("message").asText("error"), error.get("data"));
  }

  private static ObjectNode initializeParams() {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("protocolVersion", io.mcprouter.jsonrpc.ProtocolVersions.LATEST);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "mcprouter-api").put("version", "1.0.0");
    return params;
  }
}
