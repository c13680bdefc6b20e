package io.mcprouter.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.child.StdoutFrame;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.InstanceObservation;
import io.mcprouter.observe.Outcome;
import io.mcprouter.routing.SessionRouting;
import java.util.List;
import org.slf4j.Logger;

/**
 * What an instance does with the lines its child wrote: messages are routed, anything else is
 * skipped with a log line, and a skipped line that was an answer gets an error in its place, so its
 * request does not wait for ever.
 */
final class ChildOutput {

  private final String key;
  private final int maxLineBytes;
  private final Logger log;
  private final SessionRouting routing;
  private final SessionRouting.Recipients recipients;
  private final Runnable toolsChanged;
  private final InstanceObservation observation;

  ChildOutput(
      String key,
      int maxLineBytes,
      Logger log,
      SessionRouting routing,
      SessionRouting.Recipients recipients,
      Runnable toolsChanged,
      InstanceObservation observation) {
    this.observation = observation;
    this.key = key;
    this.maxLineBytes = maxLineBytes;
    this.log = log;
    this.routing = routing;
    this.recipients = recipients;
    this.toolsChanged = toolsChanged;
  }

  void handle(List<StdoutFrame> frames) {
    frames.forEach(this::handle);
  }

  private void handle(StdoutFrame frame) {
    if (frame instanceof StdoutFrame.Message m) {
      observation.childLine(m.bytes());
      if (m.message() instanceof JsonRpcMessage.Notification n
          && "notifications/tools/list_changed".equals(n.method())) {
        toolsChanged.run();
      }
      if (!routing.fromChild(m.message(), recipients)) {
        log.debug("key={} dropped a message with no recipient: {}", key, m.message());
      }
    } else if (frame instanceof StdoutFrame.Garbage g) {
      log.warn(
          "key={} skipped a stdout line that is not JSON-RPC ({}): {}",
          key,
          g.reason(),
          g.preview());
    } else if (frame instanceof StdoutFrame.OverLimit o) {
      log.warn("key={} skipped a stdout line: {}; request id {}", key, o.reason(), o.id());
      answerSkipped(o.id(), "was refused by the router: " + o.reason());
    } else if (frame instanceof StdoutFrame.Oversized o) {
      log.warn(
          "key={} skipped a stdout line of {} bytes, over the limit of {} bytes"
              + " (mcprouter.stdio.max-line-bytes); request id {}",
          key,
          o.length(),
          maxLineBytes,
          o.id());
      answerSkipped(
          o.id(),
          "was " + o.length() + " bytes, over the router's limit of " + maxLineBytes + " bytes");
    }
  }

  /** A skipped line that was an answer: its request gets an error instead of waiting for ever. */
  private void answerSkipped(JsonNode id, String what) {
    if (id != null) {
      observation.failing(Outcome.TOO_LARGE);
      routing.fromChild(
          JsonRpcMessage.failure(
              id,
              new JsonRpcError(
                  JsonRpcError.INTERNAL_ERROR, "the answer of server '" + key + "' " + what)),
          recipients);
      observation.doneFailing();
    }
  }
}
