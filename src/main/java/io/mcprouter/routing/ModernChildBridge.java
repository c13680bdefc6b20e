package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.modern.ModernAnswers;
import io.mcprouter.modern.ModernProtocol;
import java.util.function.Consumer;

/**
 * What stands between the routing and a child that speaks MCP 2026-07-28, where the routing speaks
 * 2025 to every child: the sessions' handshake is answered from the child's {@code server/discover}
 * (the child has no {@code initialize}), the methods 2026 removed are answered here, and every
 * request reaches the child with the per-request {@code _meta} the era requires (a 2025 session's
 * requests get the protocol version and no client capabilities: such a client cannot answer the
 * input requests a capability would let the child ask for). A modern client's request, which brings
 * its own {@code _meta}, passes unchanged. For a 2025-era child (no discover result) everything
 * passes unchanged.
 *
 * <p>Answers made here reach the routing as if the child had written them, through {@code
 * asIfFromChild}, after the message that caused them: never from inside a routing call.
 */
public final class ModernChildBridge implements SessionRouting.Recipients {

  private final SessionRouting.Recipients child;
  private Consumer<JsonRpcMessage> asIfFromChild = message -> {};
  private JsonNode discover;

  public ModernChildBridge(SessionRouting.Recipients child) {
    this.child = child;
  }

  /** Where the answers made here go: back into the instance, as the child's output. */
  public void answerWith(Consumer<JsonRpcMessage> asIfFromChild) {
    this.asIfFromChild = asIfFromChild;
  }

  /** The child speaks 2026-07-28 and answered discover with this. */
  public void modernChild(JsonNode discoverResult) {
    this.discover = discoverResult;
  }

  public boolean bridging() {
    return discover != null;
  }

  @Override
  public boolean toChild(JsonRpcMessage message) {
    if (discover == null) {
      return child.toChild(message);
    }
    if (message instanceof JsonRpcMessage.Notification notification) {
      // the handshake's last step: a 2026 server has no handshake
      return "notifications/initialized".equals(notification.method()) || child.toChild(message);
    }
    if (!(message instanceof JsonRpcMessage.Request request)) {
      return child.toChild(message);
    }
    switch (request.method()) {
      case "initialize" -> {
        String requested =
            request.params() == null ? "" : request.params().path("protocolVersion").asText("");
        asIfFromChild.accept(
            JsonRpcMessage.success(
                request.id(), ModernAnswers.initializeFromDiscover(discover, requested)));
        return true;
      }
      case "ping", "logging/setLevel" -> {
        asIfFromChild.accept(
            JsonRpcMessage.success(request.id(), JsonNodeFactory.instance.objectNode()));
        return true;
      }
      case "resources/subscribe", "resources/unsubscribe" -> {
        asIfFromChild.accept(
            JsonRpcMessage.failure(
                request.id(),
                new JsonRpcError(
                    JsonRpcError.METHOD_NOT_FOUND,
                    request.method()
                        + " is not served for a server that speaks MCP 2026-07-28"
                        + " (its resource updates need subscriptions/listen)")));
        return true;
      }
      default -> {
        return child.toChild(withRequestMeta(request));
      }
    }
  }

  @Override
  public void toSession(String sessionId, JsonRpcMessage message) {
    child.toSession(sessionId, message);
  }

  private static JsonRpcMessage.Request withRequestMeta(JsonRpcMessage.Request request) {
    JsonNode params = request.params();
    if (params != null && params.path("_meta").has(ModernProtocol.PROTOCOL_VERSION)) {
      return request; // a modern client's own
    }
    ObjectNode withMeta =
        params instanceof ObjectNode object
            ? object.deepCopy()
            : JsonNodeFactory.instance.objectNode();
    JsonNode meta = withMeta.get("_meta");
    ObjectNode metaObject = meta instanceof ObjectNode o ? o : withMeta.putObject("_meta");
    metaObject.put(ModernProtocol.PROTOCOL_VERSION, ModernProtocol.VERSIONS.get(0));
    metaObject.putObject(ModernProtocol.CLIENT_CAPABILITIES);
    return new JsonRpcMessage.Request(request.id(), request.method(), withMeta);
  }
}
