package io.mcprouter.observe;

import io.mcprouter.jsonrpc.JsonRpcMessage;

/**
 * A consumer of the per-request record: the metrics, the call log, a tracer. Both methods run on
 * the thread of the server instance that routes the request, so they must not block; each request's
 * {@link Call} is seen by {@link #started} before {@link #answered}, exactly once each.
 */
public interface CallObserver {

  /** The request was routed to the child (or refused before it: then answered follows at once). */
  void started(Call call);

  /**
   * {@link #started} with the request itself, for a consumer that reads more of it than the call
   * keeps (a tracer: its {@code _meta} trace context). Called before the request is written to the
   * child, so what the consumer sets on the call ({@link Call#traceparent}) is in what it gets.
   */
  default void started(Call call, JsonRpcMessage.Request request) {
    started(call);
  }

  /**
   * The answer was routed back to the client, or the router ended the request. {@code response}:
   * what the client got (null when it got nothing: cancelled); {@code errorCode}: its JSON-RPC
   * error code, 0 when none; {@code bytesOut}: the child's answer line, 0 when the router wrote the
   * answer; {@code durationNanos}: from routing to answer.
   */
  void answered(
      Call call,
      Outcome outcome,
      int errorCode,
      JsonRpcMessage.Response response,
      long bytesOut,
      long durationNanos);
}
