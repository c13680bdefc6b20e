package io.mcprouter.jsonrpc;

import akka.util.ByteString;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Parses and encodes single JSON-RPC 2.0 messages. Malformed input is a value, never an exception.
 */
public final class JsonRpcCodec {

  /**
   * Writes every message; reads only with {@link JsonLimits#DEFAULT}. Code that parses what a
   * client or child sent uses its router's {@link JsonLimits#mapper()} instead, so the settings
   * apply.
   */
  public static final ObjectMapper MAPPER = JsonLimits.DEFAULT.mapper();

  private static final ByteString NEWLINE = ByteString.fromString("\n");

  private JsonRpcCodec() {}

  /** The outcome of parsing one message. */
  public sealed interface Parsed permits Ok, Failure {}

  public record Ok(JsonRpcMessage message) implements Parsed {}

  /**
   * {@code id} is the request id when it could be read, so the error can be correlated; else null.
   * {@code overLimit} is set when a {@link JsonLimits} limit refused the document, null for bad
   * JSON.
   */
  public record Failure(JsonRpcError error, JsonNode id, OverLimit overLimit) implements Parsed {
    public Failure(JsonRpcError error, JsonNode id) {
      this(error, id, null);
    }
  }

  /**
   * {@code responseId} is the id when the refused document was recognisably a response (its
   * "result" or "error" began before the limit was hit, and no "method" did), else null: the
   * request it answers can then be failed at once instead of waiting for its timeout.
   */
  public record OverLimit(JsonNode responseId) {}

  public static Parsed parse(ByteString bytes) {
    return parse(bytes, JsonLimits.DEFAULT);
  }

  public static Parsed parse(String text) {
    return parse(text.getBytes(StandardCharsets.UTF_8), JsonLimits.DEFAULT);
  }

  public static Parsed parse(byte[] bytes) {
    return parse(bytes, JsonLimits.DEFAULT);
  }

  public static Parsed parse(ByteString bytes, JsonLimits limits) {
    // read-only use: a ByteString over one whole array is parsed in place instead of copied
    return parse(bytes.toArrayUnsafe(), limits);
  }

  /**
   * Parses one message within {@code limits}. A document over a limit is a parse error naming the
   * limit and its setting, with the request id when it stands before the point where parsing
   * stopped.
   */
  public static Parsed parse(byte[] bytes, JsonLimits limits) {
    JsonNode tree;
    try {
      tree = limits.mapper().readTree(bytes);
    } catch (IOException e) {
      StreamConstraintsException overLimit = overLimit(e);
      if (overLimit != null) {
        IdScanner.Head head = IdScanner.scan(bytes, limits);
        return new Failure(
            new JsonRpcError(
                JsonRpcError.PARSE_ERROR, "Parse error: " + limits.describe(overLimit)),
            head.id(),
            new OverLimit(head.response() ? head.id() : null));
      }
      return new Failure(
          new JsonRpcError(JsonRpcError.PARSE_ERROR, "Parse error: " + firstLine(e)), null);
    }
    if (tree == null || tree.isMissingNode()) {
      return new Failure(
          new JsonRpcError(JsonRpcError.PARSE_ERROR, "Parse error: empty body"), null);
    }
    return classify(tree);
  }

  /** Classifies a parsed JSON value as a request, notification or response. */
  public static Parsed classify(JsonNode tree) {
    if (tree.isArray()) {
      return invalid("JSON-RPC batches are not supported: send one message per request", null);
    }
    if (!tree.isObject()) {
      return invalid("a JSON-RPC message must be a JSON object", null);
    }
    JsonNode idNode = tree.get("id");
    JsonNode id =
        idNode != null && (idNode.isTextual() || idNode.isIntegralNumber()) ? idNode : null;
    if (!"2.0".equals(tree.path("jsonrpc").asText(null)) || !tree.get("jsonrpc").isTextual()) {
      return invalid("\"jsonrpc\" must be \"2.0\"", id);
    }
    if (idNode != null && !idNode.isNull() && id == null) {
      return invalid("\"id\" must be a string or an integer", null);
    }
    JsonNode method = tree.get("method");
    JsonNode params = tree.get("params");
    if (params != null && !params.isObject() && !params.isArray()) {
      return invalid("\"params\" must be an object or an array", id);
    }
    if (method != null) {
      if (!method.isTextual() || method.asText().isEmpty()) {
        return invalid("\"method\" must be a non-empty string", id);
      }
      if (idNode == null) {
        return new Ok(new JsonRpcMessage.Notification(method.asText(), params));
      }
      if (id == null) {
        return invalid("a request \"id\" must not be null", null);
      }
      return new Ok(new JsonRpcMessage.Request(id, method.asText(), params));
    }
    JsonNode result = tree.get("result");
    JsonNode error = tree.get("error");
    if (idNode == null || (result == null) == (error == null)) {
      return invalid("not a JSON-RPC request, notification or response", id);
    }
    if (error != null && (!error.isObject() || !error.path("code").isIntegralNumber())) {
      return invalid("\"error\" must be an object with an integer \"code\"", id);
    }
    return new Ok(
        new JsonRpcMessage.Response(id == null ? NullNode.getInstance() : id, result, error));
  }

  public static ObjectNode toTree(JsonRpcMessage message) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("jsonrpc", "2.0");
    if (message instanceof JsonRpcMessage.Request r) {
      node.set("id", r.id());
      node.put("method", r.method());
      if (r.params() != null) {
        node.set("params", r.params());
      }
    } else if (message instanceof JsonRpcMessage.Notification n) {
      node.put("method", n.method());
      if (n.params() != null) {
        node.set("params", n.params());
      }
    } else if (message instanceof JsonRpcMessage.Response r) {
      node.set("id", r.id() == null ? NullNode.getInstance() : r.id());
      if (r.error() != null) {
        node.set("error", r.error());
      } else {
        node.set("result", r.result());
      }
    }
    return node;
  }

  /** Compact single-line JSON: JSON escapes newlines inside strings, so the output has none. */
  public static String encode(JsonRpcMessage message) {
    try {
      return MAPPER.writeValueAsString(toTree(message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a Jackson tree always serializes", e);
    }
  }

  /**
   * Compact UTF-8 JSON: no raw newline anywhere, so it can be framed as one line or one SSE data
   * field.
   */
  public static byte[] encodeBytes(JsonRpcMessage message) {
    try {
      return MAPPER.writeValueAsBytes(toTree(message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a Jackson tree always serializes", e);
    }
  }

  /** One line for a stdio transport, newline included. */
  public static ByteString encodeLine(JsonRpcMessage message) {
    return ByteString.fromArrayUnsafe(encodeBytes(message)).concat(NEWLINE);
  }

  private static Failure invalid(String why, JsonNode id) {
    return new Failure(
        new JsonRpcError(JsonRpcError.INVALID_REQUEST, "Invalid Request: " + why), id);
  }

  /** The limit that stopped a parse, if one did (databind may wrap the parser's exception). */
  public static StreamConstraintsException overLimit(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StreamConstraintsException sce) {
        return sce;
      }
    }
    return null;
  }

  private static String firstLine(IOException e) {
    String message =
        String.valueOf(
            e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
