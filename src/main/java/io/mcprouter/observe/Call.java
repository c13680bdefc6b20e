package io.mcprouter.observe;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One client request from the moment it is routed to the child until its answer (or the router's
 * failure of it) is routed back: the one object a request allocates for observation, held with the
 * request in flight by the routing. Only the instance's thread touches it.
 */
public final class Call {

  private final CallSite site;
  private final String method;
  private final String tool;
  private final long startNanos;
  private final long startEpochMillis;
  private final long bytesIn;
  private final JsonNode params;
  private final long childPid;

  /** A tracer's state for this call (its span); see {@link CallObserver}. */
  public Object tracing;

  /** The W3C trace id this call belongs to, when a tracer knows one: the call log writes it. */
  public String traceId;

  /**
   * The trace context the child gets in {@code params._meta} ({@code traceparent}, {@code
   * tracestate}), set by a tracer in {@link CallObserver#started}: the tracer's span is the child's
   * parent. Null: the request reaches the child as the client sent it.
   */
  public String traceparent;

  public String tracestate;

  Call(
      CallSite site,
      String method,
      String tool,
      long startNanos,
      long startEpochMillis,
      long bytesIn,
      JsonNode params,
      long childPid) {
    this.site = site;
    this.method = method;
    this.tool = tool;
    this.startNanos = startNanos;
    this.startEpochMillis = startEpochMillis;
    this.bytesIn = bytesIn;
    this.params = params;
    this.childPid = childPid;
  }

  public CallSite site() {
    return site;
  }

  /** The JSON-RPC method, as the client sent it. */
  public String method() {
    return method;
  }

  /**
   * The tool's name for {@code tools/call} (as the client sent it, at most 128 chars), else null.
   */
  public String tool() {
    return tool;
  }

  /** When it was routed, in {@link System#nanoTime} units (the instance's clock). */
  public long startNanos() {
    return startNanos;
  }

  public long startEpochMillis() {
    return startEpochMillis;
  }

  /** Its size as written to the child; -1 when no consumer asked for it (the call log is off). */
  public long bytesIn() {
    return bytesIn;
  }

  /** The pid of the child it was sent to; -1 when none ran yet. */
  public long childPid() {
    return childPid;
  }

  /** Its params, kept only for a key with {@code log_payloads = true}; else null. */
  public JsonNode params() {
    return params;
  }
}
