package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.Call;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code interactive = "serialize"}: client requests waiting, in arrival order, for the shared
 * child to finish the one it is working on. Each already has its upstream id, so it can be
 * cancelled, timed out or failed by that id like one in flight, and is sent unchanged when its turn
 * comes.
 */
public final class SerialQueue {

  /** {@code request} is the message as the child will get it (id and progress token rewritten). */
  record Waiting(
      long upstreamId,
      String sessionId,
      JsonNode clientId,
      JsonRpcMessage.Request request,
      String progressKey,
      boolean interactive,
      long queuedAtNanos,
      Call call) {

    /** One nobody observes (tests). */
    Waiting(
        long upstreamId,
        String sessionId,
        JsonNode clientId,
        JsonRpcMessage.Request request,
        String progressKey,
        boolean interactive,
        long queuedAtNanos) {
      this(upstreamId, sessionId, clientId, request, progressKey, interactive, queuedAtNanos, null);
    }
  }

  private final Map<Long, Waiting> waiting = new LinkedHashMap<>();
  private final int limit;

  SerialQueue(int limit) {
    this.limit = Math.max(1, limit);
  }

  int limit() {
    return limit;
  }

  boolean full() {
    return waiting.size() >= limit;
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  int size() {
    return waiting.size();
  }

  void add(Waiting request) {
    waiting.put(request.upstreamId(), request);
  }

  Waiting remove(long upstreamId) {
    return waiting.remove(upstreamId);
  }

  /** The oldest waiting request, left on the queue; null when none waits. */
  Waiting peek() {
    Iterator<Waiting> it = waiting.values().iterator();
    return it.hasNext() ? it.next() : null;
  }

  /** The oldest waiting request, taken off the queue; null when none waits. */
  Waiting poll() {
    Iterator<Waiting> it = waiting.values().iterator();
    if (!it.hasNext()) {
      return null;
    }
    Waiting next = it.next();
    it.remove();
    return next;
  }

  int countFor(String sessionId) {
    return (int) waiting.values().stream().filter(w -> w.sessionId().equals(sessionId)).count();
  }

  /**
   * Takes every request of a session off the queue (its session closed: the child never saw them).
   */
  List<Waiting> removeSession(String sessionId) {
    List<Waiting> removed = new ArrayList<>();
    waiting
        .values()
        .removeIf(
            w -> {
              if (w.sessionId().equals(sessionId)) {
                removed.add(w);
                return true;
              }
              return false;
            });
    return removed;
  }

  List<Waiting> all() {
    return List.copyOf(waiting.values());
  }
}
