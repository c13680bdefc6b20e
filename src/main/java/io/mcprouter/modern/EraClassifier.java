package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Which era a POST to {@code /mcp/{key}} belongs to, and for the stateless era whether it is valid
 * (MCP 2026-07-28, Streamable HTTP "Server Validation" and basic "Statelessness"). Decided per
 * request, so legacy and modern clients share one URL: a request is modern when its {@code
 * MCP-Protocol-Version} header names a stateless revision, or when its {@code _meta} carries a
 * protocol version (a 2025 client never sends that key). Everything else keeps the legacy path.
 */
public final class EraClassifier {

  /** The request headers the era is decided by, trimmed; empty when absent. */
  public record Headers(
      Optional<String> protocolVersion,
      Optional<String> method,
      Optional<String> name,
      boolean hasSession) {}

  public sealed interface Era {}

  /** The sessionful path, unchanged. */
  public enum Legacy implements Era {
    INSTANCE
  }

  /** A modern request to serve. */
  public record Modern(ModernRequest request) implements Era {}

  /**
   * A modern notification: this revision defines none from client to server over HTTP (closing a
   * request's stream cancels it), so it is accepted; only {@code notifications/cancelled} has an
   * effect, on a call parked for input, which has no stream to close.
   */
  public record ModernNotification(JsonRpcMessage.Notification notification) implements Era {}

  /** A modern message refused: the HTTP status and the error, answered with the request's id. */
  public record Refused(int httpStatus, JsonNode id, JsonRpcError error) implements Era {}

  private static final String BASE64_PREFIX = "=?base64?";
  private static final String BASE64_SUFFIX = "?=";

  private EraClassifier() {}

  public static Era classify(Headers headers, JsonRpcMessage message) {
    Optional<String> version = headers.protocolVersion();
    boolean modernHeader = version.map(ModernProtocol::isVersion).orElse(false);
    JsonNode params = paramsOf(message);
    JsonNode meta = params == null ? null : params.get("_meta");
    boolean modernMeta = meta != null && meta.has(ModernProtocol.PROTOCOL_VERSION);
    if (!modernHeader && !(modernMeta && !headers.hasSession())) {
      return Legacy.INSTANCE;
    }
    if (message instanceof JsonRpcMessage.Notification notification) {
      return new ModernNotification(notification);
    }
    if (message instanceof JsonRpcMessage.Response) {
      return new Refused(
          400,
          NullNode.getInstance(),
          new JsonRpcError(
              JsonRpcError.INVALID_REQUEST, "a client sends no responses in MCP 2026-07-28"));
    }
    return validate(headers, (JsonRpcMessage.Request) message);
  }

  private static Era validate(Headers headers, JsonRpcMessage.Request request) {
    JsonNode id = request.id();
    if (headers.protocolVersion().isEmpty()) {
      return mismatch(id, "the MCP-Protocol-Version header is required");
    }
    String version = headers.protocolVersion().get();
    if (request.params() != null && !request.params().isObject()) {
      return invalid(id, "params must be an object");
    }
    ObjectNode params =
        request.params() == null
            ? JsonNodeFactory.instance.objectNode()
            : (ObjectNode) request.params();
    JsonNode meta = params.get("_meta");
    if (meta == null || !meta.isObject()) {
      return invalid(
          id,
          "params._meta is required, with "
              + ModernProtocol.PROTOCOL_VERSION
              + " and "
              + ModernProtocol.CLIENT_CAPABILITIES);
    }
    List<String> missing = new ArrayList<>();
    for (String key :
        List.of(ModernProtocol.PROTOCOL_VERSION, ModernProtocol.CLIENT_CAPABILITIES)) {
      if (!meta.has(key) || meta.get(key).isNull()) {
        missing.add(key);
      }
    }
    if (!missing.isEmpty()) {
      return invalid(id, "params._meta is missing " + String.join(", ", missing));
    }
    JsonNode metaVersion = meta.get(ModernProtocol.PROTOCOL_VERSION);
    if (!metaVersion.isTextual() || !metaVersion.asText().equals(version)) {
      return mismatch(
          id, "the MCP-Protocol-Version header does not match params._meta's protocol version");
    }
    if (!ModernProtocol.isVersion(version)) {
      ObjectNode data = JsonNodeFactory.instance.objectNode();
      ModernProtocol.VERSIONS.forEach(data.putArray("supported")::add);
      data.put("requested", version);
      return new Refused(
          400,
          id,
          new JsonRpcError(
              JsonRpcError.UNSUPPORTED_PROTOCOL_VERSION, "unsupported protocol version", data));
    }
    if (headers.method().isEmpty() || !headers.method().get().equals(request.method())) {
      return mismatch(
          id,
          headers.method().isEmpty()
              ? "the Mcp-Method header is required"
              : "the Mcp-Method header does not match the request's method");
    }
    Optional<String> member = ModernProtocol.nameMember(request.method());
    if (member.isPresent()) {
      JsonNode named = params.get(member.get());
      if (named != null && named.isTextual()) {
        Optional<String> header = headers.name().flatMap(EraClassifier::decodeName);
        if (header.isEmpty() || !header.get().equals(named.asText())) {
          return mismatch(
              id,
              headers.name().isEmpty()
                  ? "the Mcp-Name header is required for " + request.method()
                  : header.isEmpty()
                      ? "the Mcp-Name header is a malformed =?base64?...?= value"
                      : "the Mcp-Name header does not match params." + member.get());
        }
      }
    }
    JsonNode capabilities = meta.get(ModernProtocol.CLIENT_CAPABILITIES);
    if (!capabilities.isObject()) {
      return invalid(id, ModernProtocol.CLIENT_CAPABILITIES + " must be an object");
    }
    JsonNode logLevel = meta.get(ModernProtocol.LOG_LEVEL);
    if (logLevel != null
        && !logLevel.isNull()
        && ModernProtocol.logLevelRank(logLevel.asText(null)) < 0) {
      return invalid(id, ModernProtocol.LOG_LEVEL + " is not a log level");
    }
    if (!ModernProtocol.FORWARDED.contains(request.method())
        && !ModernProtocol.DISCOVER.equals(request.method())
        && !ModernProtocol.LISTEN.equals(request.method())) {
      return new Refused(
          404,
          id,
          new JsonRpcError(
              JsonRpcError.METHOD_NOT_FOUND,
              "method not found in MCP " + version + ": " + request.method()));
    }
    return new Modern(
        new ModernRequest(
            id,
            request.method(),
            params,
            (ObjectNode) capabilities,
            Optional.ofNullable(meta.get(ModernProtocol.CLIENT_INFO)),
            logLevel == null || logLevel.isNull()
                ? Optional.empty()
                : Optional.of(logLevel.asText())));
  }

  /**
   * {@code Mcp-Name} values that are not plain ASCII come as {@code =?base64?...?=}; empty when a
   * value in that form is not valid Base64. Such a value is malformed, never a plain one: a client
   * MUST encode any plain value that matches the sentinel pattern (Streamable HTTP, "Value
   * Encoding"), so it cannot stand for itself.
   */
  static Optional<String> decodeName(String header) {
    if (header.startsWith(BASE64_PREFIX)
        && header.endsWith(BASE64_SUFFIX)
        && header.length() >= BASE64_PREFIX.length() + BASE64_SUFFIX.length()) {
      String encoded =
          header.substring(BASE64_PREFIX.length(), header.length() - BASE64_SUFFIX.length());
      try {
        return Optional.of(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    return Optional.of(header);
  }

  private static JsonNode paramsOf(JsonRpcMessage message) {
    if (message instanceof JsonRpcMessage.Request request) {
      return request.params();
    }
    if (message instanceof JsonRpcMessage.Notification notification) {
      return notification.params();
    }
    return null;
  }

  private static Refused mismatch(JsonNode id, String message) {
    return new Refused(400, id, new JsonRpcError(JsonRpcError.HEADER_MISMATCH, message));
  }

  private static Refused invalid(JsonNode id, String message) {
    return new Refused(400, id, new JsonRpcError(JsonRpcError.INVALID_PARAMS, message));
  }
}
