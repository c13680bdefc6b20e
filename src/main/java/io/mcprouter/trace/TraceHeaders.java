package io.mcprouter.trace;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpRequest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.Optional;

/**
 * Carries an HTTP request's {@code traceparent} / {@code tracestate} headers into its message's
 * {@code params._meta}, where the instance's tracer reads the parent from (one place for every
 * transport; MCP 2026-07-28 clients put them there themselves). A {@code _meta} that already has a
 * {@code traceparent} wins: it names the MCP request's own context, the header only the HTTP
 * request's. With tracing off ({@link #OFF}) no header is looked at and nothing is allocated.
 */
public final class TraceHeaders {

  public static final TraceHeaders OFF = new TraceHeaders(false);

  static final TraceHeaders ON = new TraceHeaders(true);

  private final boolean active;

  private TraceHeaders(boolean active) {
    this.active = active;
  }

  /** {@code message} with the headers' valid context in its {@code _meta}, or itself. */
  public JsonRpcMessage intoMeta(JsonRpcMessage message, HttpRequest http) {
    if (!active || !(message instanceof JsonRpcMessage.Request request)) {
      return message;
    }
    JsonNode params = request.params();
    if (params != null && !params.isObject()) {
      return message;
    }
    JsonNode meta = params == null ? null : params.get("_meta");
    if (meta != null && (!meta.isObject() || meta.has("traceparent"))) {
      return message;
    }
    String traceparent = header(http, "traceparent");
    if (!W3cTraceContext.validTraceparent(traceparent)) {
      return message;
    }
    // shallow copies: the arguments are shared, only the objects on the way to _meta are new
    ObjectNode withMeta = JsonNodeFactory.instance.objectNode();
    if (params != null) {
      withMeta.setAll((ObjectNode) params);
    }
    ObjectNode metaCopy = JsonNodeFactory.instance.objectNode();
    if (meta != null) {
      metaCopy.setAll((ObjectNode) meta);
    }
    put(metaCopy, traceparent, header(http, "tracestate"));
    withMeta.set("_meta", metaCopy);
    return new JsonRpcMessage.Request(request.id(), request.method(), withMeta);
  }

  /**
   * A REST call's params (the route's own object, null for none) with the headers' valid context in
   * its {@code _meta}.
   */
  public ObjectNode intoParams(ObjectNode params, HttpRequest http) {
    if (!active) {
      return params;
    }
    String traceparent = header(http, "traceparent");
    if (!W3cTraceContext.validTraceparent(traceparent)) {
      return params;
    }
    ObjectNode withMeta = params == null ? JsonNodeFactory.instance.objectNode() : params;
    put(withMeta.putObject("_meta"), traceparent, header(http, "tracestate"));
    return withMeta;
  }

  private static void put(ObjectNode meta, String traceparent, String tracestate) {
    meta.put("traceparent", traceparent);
    if (W3cTraceContext.validTracestate(tracestate)) {
      meta.put("tracestate", tracestate);
    } else {
      meta.remove("tracestate"); // one not of this parent would mislead the child
    }
  }

  private static String header(HttpRequest http, String name) {
    Optional<HttpHeader> header = http.getHeader(name);
    return header.map(HttpHeader::value).orElse(null);
  }
}
