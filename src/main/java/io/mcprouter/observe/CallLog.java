package io.mcprouter.observe;

import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One structured line per MCP request answered, to the logger {@code mcprouter.calls} as SLF4J
 * key-value pairs, which Logback's {@code JsonEncoder} writes as JSON (see logback.xml: off unless
 * that logger is given an appender and level INFO). Never the arguments or the result unless the
 * key sets {@code log_payloads = true}: they may hold the users' secrets.
 */
final class CallLog implements CallObserver {

  static final String LOGGER = "mcprouter.calls";

  private final Logger log;

  CallLog(Logger log) {
    this.log = log;
  }

  /** Null when the logger is off: then nothing is built per call. */
  static CallLog ifEnabled() {
    Logger log = LoggerFactory.getLogger(LOGGER);
    return log.isInfoEnabled() ? new CallLog(log) : null;
  }

  @Override
  public void started(Call call) {}

  @Override
  public void answered(
      Call call,
      Outcome outcome,
      int errorCode,
      JsonRpcMessage.Response response,
      long bytesOut,
      long durationNanos) {
    CallSite site = call.site();
    LoggingEventBuilder line =
        log.atInfo()
            .addKeyValue("time", Instant.ofEpochMilli(call.startEpochMillis()).toString())
            .addKeyValue("key", site.key().key())
            .addKeyValue("session", site.sessionPrefix())
            .addKeyValue("transport", site.transport().label())
            .addKeyValue("era", site.transport().era())
            .addKeyValue("method", Labels.bounded(call.method(), 128))
            .addKeyValue("tool", call.tool() == null ? "" : call.tool())
            .addKeyValue("client_name", site.clientName())
            .addKeyValue("client_version", site.clientVersion())
            .addKeyValue("protocol_version", site.protocolVersion())
            .addKeyValue("duration_ms", durationNanos / 1_000_000.0)
            .addKeyValue("outcome", outcome.label())
            .addKeyValue("error_code", errorCode)
            .addKeyValue("bytes_in", call.bytesIn())
            .addKeyValue("bytes_out", bytesOut)
            .addKeyValue("child_pid", call.childPid())
            .addKeyValue("trace_id", call.traceId == null ? "" : call.traceId);
    if (site.key().logPayloads()) {
      line =
          line.addKeyValue("params", call.params() == null ? "" : call.params().toString())
              .addKeyValue(
                  "result",
                  response == null
                      ? ""
                      : String.valueOf(response.isError() ? response.error() : response.result()));
    }
    line.log("mcp call");
  }
}
