package io.mcprouter.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One JSON-RPC 2.0 message as MCP uses it (batches are not modelled: MCP 2025-06-18 removed them).
 * Ids and params are Jackson trees; treat them as immutable once built.
 */
public sealed interface JsonRpcMessage
    permits JsonRpcMessage.Request, JsonRpcMessage.Notification, JsonRpcMessage.Response {

  /** A request; {@code id} is a string or number node, {@code params} may be null. */
  record Request(JsonNode id, String method, JsonNode params) implements JsonRpcMessage {}

  /** A notification; {@code params} may be null. */
  record Notification(String method, JsonNode params) implements JsonRpcMessage {}

  /** A response: exactly one of {@code result} and {@code error} is non-null. */
  record Response(JsonNode id, JsonNode result, JsonNode error) implements JsonRpcMessage {
    public boolean isError() {
      return error != null;
    }
  }

  static Response success(JsonNode id, JsonNode result) {
    return new Response(id, result, null);
  }

  static Response failure(JsonNode id, JsonRpcError error) {
    return new Response(id, null, error.toJson());
  }
}
