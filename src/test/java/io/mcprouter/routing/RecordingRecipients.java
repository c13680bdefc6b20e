package io.mcprouter.routing;

import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * Recipients that record what routing sends; {@code accepting = false} plays a full stdin buffer.
 */
final class RecordingRecipients implements SessionRouting.Recipients {

  record Delivery(String sessionId, JsonRpcMessage message) {}

  final List<JsonRpcMessage> toChild = new ArrayList<>();
  final List<Delivery> delivered = new ArrayList<>();
  boolean accepting = true;

  @Override
  public boolean toChild(JsonRpcMessage message) {
    if (accepting) {
      toChild.add(message);
    }
    return accepting;
  }

  @Override
  public void toSession(String sessionId, JsonRpcMessage message) {
    delivered.add(new Delivery(sessionId, message));
  }

  /** What one session received, each message as a JSON line. */
  List<String> linesTo(String sessionId) {
    return delivered.stream()
        .filter(d -> d.sessionId().equals(sessionId))
        .map(d -> JsonRpcCodec.encode(d.message()))
        .toList();
  }

  JsonRpcMessage lastToChild() {
    return toChild.get(toChild.size() - 1);
  }

  void clear() {
    toChild.clear();
    delivered.clear();
  }
}
