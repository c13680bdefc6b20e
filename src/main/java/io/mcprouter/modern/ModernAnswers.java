package io.mcprouter.modern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.jsonrpc.ProtocolVersions;
import java.util.Optional;

/**
 * What a modern client is answered, made from what a 2025-era child said: results in the 2026-07-28
 * shape, errors with the era's codes, and the HTTP status each error goes with.
 */
public final class ModernAnswers {

  /**
   * Results are not cached by the router: a shared child's answers may differ per caller (a
   * filesystem's roots, a tool's state), so a client may not share them across users nor keep them.
   */
  private static final int TTL_MS = 0;

  private static final String CACHE_SCOPE = "private";

  private ModernAnswers() {}

  /** The child's answer to {@code request}, with the id the client sent, for a modern client. */
  public static JsonRpcMessage.Response answer(
      ModernRequest request, JsonRpcMessage.Response fromChild) {
    if (fromChild.isError()) {
      JsonNode error = fromChild.error();
      int code = error.path("code").asInt();
      boolean notFound = code == JsonRpcError.LEGACY_RESOURCE_NOT_FOUND;
      if (error.isObject() && (notFound || code == JsonRpcError.INVALID_PARAMS)) {
        ObjectNode mapped = ((ObjectNode) error).deepCopy();
        mapped.put("code", JsonRpcError.INVALID_PARAMS);
        JsonNode uri = request.is("resources/read") ? request.params().get("uri") : null;
        if (uri != null && uri.isTextual() && !mapped.path("data").has("uri")) {
          // the 2026 resource-not-found error names the resource in its data
          JsonNode data = mapped.get("data");
          (data instanceof ObjectNode object ? object : mapped.putObject("data")).set("uri", uri);
        }
        return new JsonRpcMessage.Response(request.id(), null, mapped);
      }
      if (code == JsonRpcError.URL_ELICITATION_REQUIRED) {
        // 2026-07-28 removed the code: a URL elicitation is an input request, which needs the
        // client capability the router cannot serve yet
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.putObject("requiredCapabilities").putObject("elicitation").putObject("url");
        return JsonRpcMessage.failure(
            request.id(),
            new JsonRpcError(
                JsonRpcError.MISSING_CLIENT_CAPABILITY,
                "the server needs a URL elicitation: " + error.path("message").asText(""),
                data));
      }
      return new JsonRpcMessage.Response(request.id(), null, error);
    }
    return JsonRpcMessage.success(request.id(), complete(request.method(), fromChild.result()));
  }

  /**
   * The initialize result a 2025-era client (or a {@code ModernCall}) is answered for a child that
   * speaks 2026-07-28, made from the child's {@code server/discover} result. Its {@code _meta} says
   * so ({@link ModernProtocol#CHILD_ERA}), so that a modern request sends the child its own {@code
   * _meta} rather than a legacy session's.
   */
  public static ObjectNode initializeFromDiscover(JsonNode discover, String requested) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.put(
        "protocolVersion",
        ProtocolVersions.isSupported(requested) ? requested : ProtocolVersions.LATEST);
    // a 2026 server sends change notifications only on subscriptions/listen streams, which a
    // 2025 session does not open: it is not promised them
    result.set("capabilities", capabilities(discover.path("capabilities"), false));
    JsonNode serverInfo = discover.path("_meta").get(ModernProtocol.SERVER_INFO);
    if (serverInfo != null && serverInfo.isObject()) {
      result.set("serverInfo", serverInfo.deepCopy());
    } else {
      result.putObject("serverInfo").put("name", "unnamed").put("version", "0");
    }
    JsonNode instructions = discover.get("instructions");
    if (instructions != null && instructions.isTextual()) {
      result.set("instructions", instructions);
    }
    result.putObject("_meta").put(ModernProtocol.CHILD_ERA, ModernProtocol.VERSIONS.get(0));
    return result;
  }

  /** Whether an initialize result was made for a child that speaks 2026-07-28. */
  public static boolean fromModernChild(JsonNode initializeResult) {
    return initializeResult != null && initializeResult.path("_meta").has(ModernProtocol.CHILD_ERA);
  }

  /** The {@code server/discover} the router asks a child with at its start, to learn its era. */
  public static JsonRpcMessage.Request discoverProbe(JsonNode id) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    ObjectNode meta = params.putObject("_meta");
    meta.put(ModernProtocol.PROTOCOL_VERSION, ModernProtocol.VERSIONS.get(0));
    meta.putObject(ModernProtocol.CLIENT_CAPABILITIES);
    meta.putObject(ModernProtocol.CLIENT_INFO).put("name", "mcprouter").put("version", "1");
    return new JsonRpcMessage.Request(id, ModernProtocol.DISCOVER, params);
  }

  /** Whether a probe's answer says the child speaks a revision the router serves. */
  public static boolean speaksModern(JsonRpcMessage.Response answer) {
    if (answer.isError() || answer.result() == null) {
      return false;
    }
    for (JsonNode version : answer.result().path("supportedVersions")) {
      if (ModernProtocol.isVersion(version.asText(null))) {
        return true;
      }
    }
    return false;
  }

  /**
   * An error the router makes (the server unavailable, gone, not answering), in the codes a modern
   * client may be sent.
   */
  public static JsonRpcError routerError(JsonRpcError error) {
    return error.code() == JsonRpcError.UNAVAILABLE
        ? new JsonRpcError(JsonRpcError.UNAVAILABLE_NOW, error.message(), error.data())
        : error;
  }

  /** A result as 2026-07-28 requires it: a result type, and caching hints where it is cacheable. */
  public static JsonNode complete(String method, JsonNode result) {
    if (result == null || !result.isObject()) {
      return result;
    }
    ObjectNode stamped = ((ObjectNode) result).deepCopy();
    if (!stamped.has("resultType")) {
      stamped.put("resultType", "complete");
    }
    // caching hints go on complete results only: an interim input_required result is not
    // cacheable and carries none (MCP 2026-07-28, server/utilities/caching, "Cacheable Results")
    if (ModernProtocol.CACHEABLE.contains(method)
        && "complete".equals(stamped.path("resultType").asText(null))) {
      if (!stamped.has("ttlMs")) {
        stamped.put("ttlMs", TTL_MS);
      }
      if (!stamped.has("cacheScope")) {
        stamped.put("cacheScope", CACHE_SCOPE);
      }
    }
    return stamped;
  }

  /**
   * The answer to {@code server/discover}, from the child's initialize result. {@code listens}:
   * whether the router serves {@code subscriptions/listen} for the key; without it no list-changed
   * or subscribe capability is advertised, since no client could receive those notifications.
   */
  public static JsonNode discover(JsonNode initializeResult, boolean listens) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ModernProtocol.VERSIONS.forEach(result.putArray("supportedVersions")::add);
    result.set("capabilities", capabilities(initializeResult.path("capabilities"), listens));
    JsonNode instructions = initializeResult.get("instructions");
    if (instructions != null && instructions.isTextual()) {
      result.set("instructions", instructions);
    }
    JsonNode serverInfo = initializeResult.get("serverInfo");
    if (serverInfo != null && serverInfo.isObject()) {
      result.putObject("_meta").set(ModernProtocol.SERVER_INFO, serverInfo.deepCopy());
    }
    return complete(ModernProtocol.DISCOVER, result);
  }

  /**
   * The capabilities the router serves for the key: the child's, as far as the router honours them.
   */
  static ObjectNode capabilities(JsonNode child, boolean listens) {
    ObjectNode served = JsonNodeFactory.instance.objectNode();
    for (String feature : new String[] {"tools", "prompts", "resources"}) {
      JsonNode declared = child.get(feature);
      if (declared == null || !declared.isObject()) {
        continue;
      }
      ObjectNode capability = served.putObject(feature);
      if (listens && declared.path("listChanged").asBoolean(false)) {
        capability.put("listChanged", true);
      }
      if (listens && "resources".equals(feature) && declared.path("subscribe").asBoolean(false)) {
        capability.put("subscribe", true);
      }
    }
    for (String plain : new String[] {"completions", "logging"}) {
      JsonNode declared = child.get(plain);
      if (declared != null && declared.isObject()) {
        served.putObject(plain);
      }
    }
    return served;
  }

  /**
   * The error for a request whose serving needs a client capability the request did not declare;
   * {@code data.requiredCapabilities} is a ClientCapabilities object naming it.
   */
  public static JsonRpcError missingCapability(String capability, String childMethod) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    data.putObject("requiredCapabilities").putObject(capability);
    return new JsonRpcError(
        JsonRpcError.MISSING_CLIENT_CAPABILITY,
        "the server asked for "
            + childMethod
            + ", which needs the client capability '"
            + capability
            + "' this request did not declare",
        data);
  }

  /**
   * The error for a child's request that needs a capability the request did declare: answering it
   * needs multi round-trip requests, which this router does not serve yet.
   */
  public static JsonRpcError inputNotServed(String capability, String childMethod) {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    data.putObject("requiredCapabilities").putObject(capability);
    return new JsonRpcError(
        JsonRpcError.MISSING_CLIENT_CAPABILITY,
        "the server asked for "
            + childMethod
            + " mid-request; the router cannot yet relay it to a 2026-07-28 client",
        data);
  }

  /**
   * The HTTP status a modern error answer goes with: 404 for an unknown method, 400 for the era's
   * request errors, 200 otherwise (the error is the server's answer, as JSON-RPC carries it).
   */
  public static int httpStatus(JsonNode error) {
    int code = error.path("code").asInt();
    if (code == JsonRpcError.METHOD_NOT_FOUND) {
      return 404;
    }
    if (code == JsonRpcError.HEADER_MISMATCH
        || code == JsonRpcError.MISSING_CLIENT_CAPABILITY
        || code == JsonRpcError.UNSUPPORTED_PROTOCOL_VERSION) {
      return 400;
    }
    return 200;
  }

  /** Whether a child's log notification is at or above the level the request asked for. */
  public static boolean logWanted(ModernRequest request, JsonRpcMessage.Notification log) {
    Optional<String> wanted = request.logLevel();
    if (wanted.isEmpty()) {
      return false;
    }
    int rank =
        ModernProtocol.logLevelRank(
            log.params() == null ? null : log.params().path("level").asText(null));
    return rank >= ModernProtocol.logLevelRank(wanted.get());
  }
}
