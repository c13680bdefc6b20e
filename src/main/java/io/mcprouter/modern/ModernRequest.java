package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * A validated MCP 2026-07-28 request: what the client declared in its {@code _meta}, and the
 * request as a 2025-era child is sent it (the era's own {@code _meta} keys removed; the progress
 * token, trace context and any other key kept).
 */
public record ModernRequest(
    JsonNode id,
    String method,
    ObjectNode params,
    ObjectNode capabilities,
    Optional<JsonNode> clientInfo,
    Optional<String> logLevel) {

  public boolean is(String name) {
    return method.equals(name);
  }

  /** Whether the client declared this capability (sampling, elicitation, roots, ...). */
  public boolean declares(String capability) {
    JsonNode declared = capabilities.get(capability);
    return declared != null && declared.isObject();
  }

  /** The caller's progress token, if it asked for progress. */
  public Optional<JsonNode> progressToken() {
    return Optional.ofNullable(params.path("_meta").get("progressToken"));
  }

  /** The request as the client sent it, for a child that speaks 2026-07-28. */
  public JsonRpcMessage.Request asSent() {
    return new JsonRpcMessage.Request(id, method, params);
  }

  /** The request for a 2025-era child. */
  public JsonRpcMessage.Request toChild() {
    ObjectNode forChild = params.deepCopy();
    JsonNode meta = forChild.get("_meta");
    if (meta instanceof ObjectNode metaObject) {
      for (Iterator<Map.Entry<String, JsonNode>> it = metaObject.fields(); it.hasNext(); ) {
        if (it.next().getKey().startsWith("io.modelcontextprotocol/")) {
          it.remove();
        }
      }
      if (metaObject.isEmpty()) {
        forChild.remove("_meta");
      }
    }
    return new JsonRpcMessage.Request(id, method, forChild);
  }

  /** The initialize a 2025-era child (or the shared child's cache) is sent for this request. */
  public ObjectNode initializeParams(String childVersion) {
    ObjectNode init = JsonNodeFactory.instance.objectNode();
    init.put("protocolVersion", childVersion);
    ObjectNode legacyCapabilities = init.putObject("capabilities");
    // Declared whatever the request declared: the session's client is the router, which answers a
    // child asking for these mid-request, and a 2025 child cannot know what each request declared.
    // Only so can the router tell a modern client which capability its request needed (-32021).
    // Roots are not declared: a child asks for them outside any request, where no request can
    // answer them.
    for (String capability : new String[] {"sampling", "elicitation"}) {
      legacyCapabilities.set(
          capability,
          declares(capability)
              ? capabilities.get(capability).deepCopy()
              : JsonNodeFactory.instance.objectNode());
    }
    ObjectNode declared = init.putObject("_meta").putObject(ModernProtocol.DECLARED);
    for (String capability : new String[] {"sampling", "elicitation", "roots"}) {
      if (declares(capability)) {
        declared.putObject(capability);
      }
    }
    if (clientInfo.isPresent() && clientInfo.get().isObject()) {
      init.set("clientInfo", clientInfo.get().deepCopy());
    } else {
      init.putObject("clientInfo").put("name", "mcprouter-modern-client").put("version", "0");
    }
    return init;
  }
}
