package io.mcprouter.trace;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.Call;
import io.mcprouter.observe.CallObserver;
import io.mcprouter.observe.CallSite;
import io.mcprouter.observe.Outcome;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The tracer's consumer of calls: one SERVER span per MCP request, after the OpenTelemetry semantic
 * conventions for MCP, from its routing to the child until its answer is routed back. Its parent is
 * the request's {@code params._meta.traceparent} (the client's, or its HTTP header's put there by
 * the route); the child is given the span's own context, so a child that traces joins. The session
 * id is not an attribute: it is the client's credential.
 */
final class McpSpans implements CallObserver {

  static final AttributeKey<String> METHOD = AttributeKey.stringKey("mcp.method.name");
  static final AttributeKey<String> PROTOCOL = AttributeKey.stringKey("mcp.protocol.version");
  static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
  static final AttributeKey<String> PROMPT = AttributeKey.stringKey("gen_ai.prompt.name");
  static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
  static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("jsonrpc.request.id");
  static final AttributeKey<String> JSONRPC_VERSION =
      AttributeKey.stringKey("jsonrpc.protocol.version");
  static final AttributeKey<String> NETWORK_TRANSPORT = AttributeKey.stringKey("network.transport");
  static final AttributeKey<String> NETWORK_PROTOCOL =
      AttributeKey.stringKey("network.protocol.name");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<String> STATUS_CODE =
      AttributeKey.stringKey("rpc.response.status_code");
  static final AttributeKey<String> KEY = AttributeKey.stringKey("mcprouter.server.key");
  static final AttributeKey<String> TRANSPORT = AttributeKey.stringKey("mcprouter.transport");
  static final AttributeKey<String> ERA = AttributeKey.stringKey("mcprouter.era");

  private static final TextMapGetter<JsonNode> META =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(JsonNode meta) {
          return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(JsonNode meta, String name) {
          if (meta == null) {
            return null;
          }
          JsonNode value = meta.get(name);
          if (value == null || !value.isTextual()) {
            return null;
          }
          String text = value.asText();
          boolean valid =
              "traceparent".equals(name)
                  ? W3cTraceContext.validTraceparent(text)
                  : W3cTraceContext.validTracestate(text);
          return valid ? text : null;
        }
      };

  private final Tracer tracer;
  private final W3CTraceContextPropagator propagator = W3CTraceContextPropagator.getInstance();

  McpSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public void started(Call call) {
    started(call, null);
  }

  @Override
  public void started(Call call, JsonRpcMessage.Request request) {
    JsonNode params = request == null ? null : request.params();
    String method = call.method();
    String target = call.tool();
    if (target == null && "prompts/get".equals(method) && params != null) {
      target = bounded(params.path("name").asText(null), 128);
    }
    CallSite site = call.site();
    SpanBuilder span =
        tracer
            .spanBuilder(target == null ? method : method + " " + target)
            .setSpanKind(SpanKind.SERVER)
            .setStartTimestamp(call.startEpochMillis(), TimeUnit.MILLISECONDS)
            .setAttribute(METHOD, method)
            .setAttribute(JSONRPC_VERSION, "2.0")
            .setAttribute(NETWORK_TRANSPORT, "tcp")
            .setAttribute(NETWORK_PROTOCOL, "http")
            .setAttribute(KEY, site.key().key())
            .setAttribute(TRANSPORT, site.transport().label())
            .setAttribute(ERA, site.transport().era());
    Context parent = parent(params);
    if (parent == null) {
      span.setNoParent(); // not the actor thread's current context: nothing of another request
    } else {
      span.setParent(parent);
    }
    if (!site.protocolVersion().isEmpty()) {
      span.setAttribute(PROTOCOL, site.protocolVersion());
    }
    if (call.tool() != null) {
      span.setAttribute(TOOL, call.tool()).setAttribute(OPERATION, "execute_tool");
    } else if (target != null) {
      span.setAttribute(PROMPT, target);
    }
    if (request != null && request.id() != null) {
      span.setAttribute(REQUEST_ID, bounded(request.id().asText(), 64));
    }
    Span started = span.startSpan();
    call.tracing = started;
    SpanContext context = started.getSpanContext();
    if (context.isValid()) {
      call.traceId = context.getTraceId();
      Map<String, String> out = new HashMap<>(4);
      propagator.inject(Context.root().with(started), out, Map::put);
      call.traceparent = out.get("traceparent");
      call.tracestate = out.get("tracestate");
    }
  }

  @Override
  public void answered(
      Call call,
      Outcome outcome,
      int errorCode,
      JsonRpcMessage.Response response,
      long bytesOut,
      long durationNanos) {
    if (!(call.tracing instanceof Span span)) {
      return;
    }
    if (outcome != Outcome.OK) {
      String type =
          outcome == Outcome.ERROR && errorCode != 0
              ? Integer.toString(errorCode)
              : outcome.label();
      span.setAttribute(ERROR_TYPE, type);
      if (errorCode != 0) {
        span.setAttribute(STATUS_CODE, Integer.toString(errorCode));
      }
      span.setStatus(StatusCode.ERROR);
    }
    // the start was stamped from the call's wall clock; the end keeps its monotonic duration
    span.end(
        TimeUnit.MILLISECONDS.toNanos(call.startEpochMillis()) + durationNanos,
        TimeUnit.NANOSECONDS);
  }

  /** The request's own context from its {@code _meta}; null when it has no valid one. */
  private Context parent(JsonNode params) {
    JsonNode meta = params == null ? null : params.get("_meta");
    if (meta == null || META.get(meta, "traceparent") == null) {
      return null;
    }
    Context extracted = propagator.extract(Context.root(), meta, META);
    return Span.fromContext(extracted).getSpanContext().isValid() ? extracted : null;
  }

  private static String bounded(String value, int max) {
    if (value == null) {
      return null;
    }
    return value.length() <= max ? value : value.substring(0, max);
  }
}
