package io.mcprouter.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.util.List;
import java.util.Optional;

/**
 * The errors a server instance answers for its child, one wording each: clients match on these
 * texts in their logs and operators in ours, so each situation is described in one place.
 */
final class ServerErrors {

  private ServerErrors() {}

  static JsonRpcError stopping(String key) {
    return new JsonRpcError(
        JsonRpcError.UNAVAILABLE, "server '" + key + "' is stopping and takes no new requests");
  }

  static JsonRpcError stdinFull(String key) {
    return new JsonRpcError(
        JsonRpcError.UNAVAILABLE,
        "server '" + key + "' is busy: its stdin buffer is full, retry later");
  }

  static JsonRpcError tooManyQueued(String key) {
    return new JsonRpcError(
        JsonRpcError.UNAVAILABLE,
        "server '" + key + "' is still starting and has too many queued messages");
  }

  static JsonRpcError inFlightLimit(int max) {
    return new JsonRpcError(
        JsonRpcError.UNAVAILABLE,
        "limit reached: " + max + " requests in flight for this session, the maximum");
  }

  static JsonRpcError callTimeout(String key) {
    return new JsonRpcError(
        JsonRpcError.TIMEOUT, "server '" + key + "' did not answer within the call timeout");
  }

  static JsonRpcError requestTimeout(String key, String method, long limitMillis) {
    return new JsonRpcError(
        JsonRpcError.TIMEOUT,
        "server '" + key + "' did not answer " + method + " within " + limitMillis + " ms");
  }

  /** The child is gone ({@code reason} says how); {@code data} is {@link #diagnostics}. */
  static JsonRpcError gone(String key, String reason, ObjectNode data) {
    return new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + key + "' " + reason, data);
  }

  static JsonRpcError gone(String key, String reason) {
    return new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + key + "' " + reason);
  }

  /**
   * What a client learns of a dead child: its key, exit code, and its last stderr lines only where
   * the operator opted in ({@code expose_stderr}), since a child's stderr may carry any user's
   * data.
   */
  static ObjectNode diagnostics(
      String key, Optional<Integer> exitCode, boolean exposeStderr, List<String> stderrTail) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    data.put("serverKey", key);
    exitCode.ifPresent(code -> data.put("exitCode", code));
    if (exposeStderr) {
      ArrayNode stderr = data.putArray("stderr");
      stderrTail.forEach(stderr::add);
    }
    return data;
  }
}
