package io.mcprouter.transport.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.SessionRouting;
import java.util.HashMap;
import java.util.Map;

/**
 * Which stream of a Streamable HTTP session a server message goes on: a response on its request's
 * stream, a progress notification on the stream of the request that gave its token, anything else
 * on the newest request stream still open (it relates to a request in progress), else on the GET
 * stream. Not thread-safe: its {@link StreamableSession} calls it under its own lock.
 */
final class RequestStreams {

  private final Map<String, EventStream> byRequest = new HashMap<>();
  private final Map<String, EventStream> byProgressToken = new HashMap<>();
  private long streamCounter;

  /** A new stream for this request, found by its id and, when it has one, its progress token. */
  EventStream open(JsonNode requestId, JsonNode progressToken) {
    EventStream stream = new EventStream("r" + (++streamCounter));
    byRequest.put(SessionRouting.idKey(requestId), stream);
    if (progressToken != null && !progressToken.isNull()) {
      byProgressToken.put(SessionRouting.idKey(progressToken), stream);
    }
    return stream;
  }

  /** The stream of this request, no longer found by its id; null when the request has none. */
  EventStream take(JsonNode requestId) {
    return byRequest.remove(SessionRouting.idKey(requestId));
  }

  /** The stream is no longer found by its request's progress token. */
  void forgetProgressToken(EventStream stream) {
    byProgressToken.values().remove(stream);
  }

  /** Whether a request is waiting for its answer (its session counts as connected meanwhile). */
  boolean anyOpen() {
    return !byRequest.isEmpty();
  }

  /** Where {@code message} goes; a response's stream is taken (no longer found by its id). */
  EventStream streamFor(JsonRpcMessage message, EventStream standalone) {
    if (message instanceof JsonRpcMessage.Response response) {
      EventStream stream = take(response.id());
      if (stream != null) {
        forgetProgressToken(stream);
        return stream;
      }
      return standalone;
    }
    if (message instanceof JsonRpcMessage.Notification n
        && "notifications/progress".equals(n.method())
        && n.params() != null
        && n.params().has("progressToken")) {
      EventStream stream =
          byProgressToken.get(SessionRouting.idKey(n.params().get("progressToken")));
      if (stream != null && !stream.finished) {
        return stream;
      }
    }
    EventStream newest = null;
    for (EventStream stream : byRequest.values()) {
      if (!stream.finished
          && stream.jsonAnswer == null
          && (newest == null
              || Long.parseLong(stream.id.substring(1)) > Long.parseLong(newest.id.substring(1)))) {
        newest = stream;
      }
    }
    return newest != null ? newest : standalone;
  }
}
