package io.mcprouter.observe;

import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.Set;

/** The metrics' consumer of calls: the in-flight gauge and the operation duration histogram. */
final class CallMetrics implements CallObserver {

  /** JSON-RPC and MCP codes the router and the SDKs use; a child's other codes count as other. */
  private static final Set<Integer> KNOWN_CODES =
      Set.of(
          -32700, -32600, -32601, -32602, -32603, -32000, -32001, -32002, -32003, -32004, -32005,
          -32020, -32021, -32022, -32042, -32800);

  private final McpMetrics metrics;

  CallMetrics(McpMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void started(Call call) {
    call.site().key().inFlight.inc();
  }

  @Override
  public void answered(
      Call call,
      Outcome outcome,
      int errorCode,
      JsonRpcMessage.Response response,
      long bytesOut,
      long durationNanos) {
    KeyObservation key = call.site().key();
    key.inFlight.dec();
    metrics
        .operations
        .labelValues(
            key.key(),
            Labels.method(call.method()),
            key.toolLabel(call.tool()),
            call.site().transport().label(),
            call.site().transport().era(),
            outcome.label(),
            errorType(outcome, errorCode))
        .observe(durationNanos / 1e9);
  }

  /** OpenTelemetry's error.type: the JSON-RPC code for an error, the outcome for the router's. */
  private static String errorType(Outcome outcome, int code) {
    return switch (outcome) {
      case OK -> "";
      case ERROR -> KNOWN_CODES.contains(code) ? Integer.toString(code) : Labels.OTHER;
      default -> outcome.label();
    };
  }
}
