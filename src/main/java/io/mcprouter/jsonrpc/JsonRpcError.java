package io.mcprouter.jsonrpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A JSON-RPC error object; {@code data} may be null. */
public record JsonRpcError(int code, String message, JsonNode data) {

  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;

  /** The MCP server process is gone (exited, crashed, force-stopped) or could not start. */
  public static final int SERVER_GONE = -32000;

  /** The session id is unknown or its session has ended. */
  public static final int SESSION_NOT_FOUND = -32001;

  /** The router will not take the message now (stopping, buffer full, limit reached). */
  public static final int UNAVAILABLE = -32002;

  /**
   * {@link #UNAVAILABLE} as a 2026-07-28 client is told it: that revision reserves -32002 (its old
   * resource-not-found) and never reuses it.
   */
  public static final int UNAVAILABLE_NOW = -32005;

  /** MCP 2025-11-25: the server needs the client to open a URL (URL elicitation required). */
  public static final int URL_ELICITATION_REQUIRED = -32042;

  /** The server key is not configured. */
  public static final int UNKNOWN_SERVER = -32003;

  /** The router did not get an answer in time. */
  public static final int TIMEOUT = -32004;

  /**
   * The client cancelled the request (the code LSP gives it; MCP itself sends no answer on a
   * stream).
   */
  public static final int REQUEST_CANCELLED = -32800;

  /** MCP 2026-07-28: the request's headers do not match its body, or one is missing. */
  public static final int HEADER_MISMATCH = -32020;

  /** MCP 2026-07-28: serving the request needs a capability the client did not declare. */
  public static final int MISSING_CLIENT_CAPABILITY = -32021;

  /** MCP 2026-07-28: the request's protocol version is not one the router serves. */
  public static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

  /** Resource not found in MCP 2025-11-25 and earlier (2026-07-28 uses {@link #INVALID_PARAMS}). */
  public static final int LEGACY_RESOURCE_NOT_FOUND = -32002;

  public JsonRpcError(int code, String message) {
    this(code, message, null);
  }

  public ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("code", code);
    node.put("message", message);
    if (data != null) {
      node.set("data", data);
    }
    return node;
  }

  /** The whole response body a client gets for an error not tied to a known request id. */
  public String toResponseJson(JsonNode id) {
    return JsonRpcCodec.encode(JsonRpcMessage.failure(id, this));
  }
}
