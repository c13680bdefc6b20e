package io.mcprouter.child;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;

/**
 * What one stdout line of an MCP server turned out to be; built on the stream, handled by the
 * actor.
 */
public sealed interface StdoutFrame {

  /** {@code bytes}: the line's length, without its newline. */
  record Message(JsonRpcMessage message, int bytes) implements StdoutFrame {

    public Message(JsonRpcMessage message) {
      this(message, 0);
    }
  }

  /**
   * A line that is not a JSON-RPC message (a banner, a stray print); {@code preview} is shortened.
   */
  record Garbage(String preview, String reason) implements StdoutFrame {}

  /**
   * A line that a JSON limit ({@code mcprouter.json.*}) refused; {@code reason} names the limit and
   * {@code id} is the id of the response it was, or null when it was not recognisably a response.
   */
  record OverLimit(String reason, JsonNode id) implements StdoutFrame {}

  /**
   * A line over the configured maximum; {@code id} is the JSON-RPC id found at its edges, or null.
   */
  record Oversized(long length, JsonNode id) implements StdoutFrame {}
}
