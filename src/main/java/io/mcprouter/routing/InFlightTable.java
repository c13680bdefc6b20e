package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.Call;
import io.mcprouter.observe.InstanceObservation;
import io.mcprouter.routing.SessionRouting.InFlight;
import io.mcprouter.routing.SessionRouting.Recipients;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The requests sent to a shared child and not answered yet, by the router-unique id the child knows
 * them by: whose they are and under which id their client sent them. Hands out those ids (one
 * sequence, so the child never sees one twice), and forgetting a request forgets its client-id
 * mapping and its progress route with it.
 */
final class InFlightTable {

  /**
   * Owner of the router's own requests (the initialize and subscriptions replayed to a restarted
   * child).
   */
  static final String ROUTER = "";

  /**
   * {@code cancelled}: the client cancelled it or its session closed; kept until the child answers
   * (the answer is dropped) or it times out, because the child may still be working on it. {@code
   * call}: its observation, ended when it is answered or cancelled (null for the router's own, and
   * once cancelled).
   */
  record Pending(
      String sessionId,
      JsonNode clientId,
      String method,
      String progressKey,
      long sentAtNanos,
      boolean cancelled,
      Call call) {

    Pending asCancelled() {
      return new Pending(sessionId, clientId, method, progressKey, sentAtNanos, true, null);
    }
  }

  private final Map<Long, Pending> pending = new HashMap<>();
  private final Map<String, Long> upstreamIdByClientId = new HashMap<>();
  private final ProgressTokens progress;
  private final InstanceObservation observation;
  private long nextUpstreamId = 1;

  /**
   * When a request was sent, in {@link System#nanoTime} units (a test's virtual clock stands in).
   */
  private final LongSupplier clock;

  long now() {
    return clock.getAsLong();
  }

  InFlightTable(ProgressTokens progress, LongSupplier clock) {
    this(progress, clock, InstanceObservation.OFF);
  }

  InFlightTable(ProgressTokens progress, LongSupplier clock, InstanceObservation observation) {
    this.clock = clock;
    this.observation = observation;
    this.progress = progress;
  }

  /** A fresh id for a request to the child; spent even when the child's stdin then refuses it. */
  long nextId() {
    return nextUpstreamId++;
  }

  /** One nobody observes (tests). */
  void sent(
      long upstreamId,
      String sessionId,
      JsonNode clientId,
      String method,
      String progressKey,
      long sentAtNanos) {
    sent(upstreamId, sessionId, clientId, method, progressKey, sentAtNanos, null);
  }

  /** The request went to the child; {@code sentAtNanos} starts its timeout. */
  void sent(
      long upstreamId,
      String sessionId,
      JsonNode clientId,
      String method,
      String progressKey,
      long sentAtNanos,
      Call call) {
    pending.put(
        upstreamId,
        new Pending(sessionId, clientId, method, progressKey, sentAtNanos, false, call));
  }

  /** So a client's {@code notifications/cancelled} finds it, whether it was sent or is queued. */
  void mapClientId(String sessionId, JsonNode clientId, long upstreamId) {
    upstreamIdByClientId.put(clientKey(sessionId, clientId), upstreamId);
  }

  /** The upstream id of a client's request, no longer findable by its client id; null if none. */
  Long takeByClientId(String sessionId, JsonNode clientId) {
    return upstreamIdByClientId.remove(clientKey(sessionId, clientId));
  }

  /** Sends a request of the router's own; its id, or null when the child's stdin refused it. */
  Long sendOwn(String method, ObjectNode params, Recipients out) {
    long upstreamId = nextId();
    LongNode id = LongNode.valueOf(upstreamId);
    if (!out.toChild(new JsonRpcMessage.Request(id, method, params))) {
      return null;
    }
    sent(upstreamId, ROUTER, id, method, null, clock.getAsLong(), null);
    return upstreamId;
  }

  /**
   * The child answered it (or it was failed): removes it with everything found through it; null if
   * unknown.
   */
  Pending answered(Long upstreamId) {
    Pending p = pending.remove(upstreamId);
    if (p != null) {
      forgetRoutes(p.sessionId(), p.clientId(), p.progressKey());
    }
    return p;
  }

  /**
   * The client no longer waits for it; the child may still be working on it (see {@link Pending}).
   */
  void cancel(long upstreamId) {
    Pending p = answered(upstreamId);
    if (p != null) {
      observation.cancelled(p.call());
      pending.put(upstreamId, p.asCancelled());
    }
  }

  /**
   * A session closed: its requests still at the child, except {@code keep} (an initialize other
   * sessions wait for), become cancelled. Returns those the child has not been told about yet.
   */
  List<Long> abandon(String sessionId, Long keep) {
    List<Long> abandoned = new ArrayList<>();
    pending.forEach(
        (upstreamId, p) -> {
          if (p.sessionId().equals(sessionId) && !upstreamId.equals(keep) && !p.cancelled()) {
            abandoned.add(upstreamId);
          }
        });
    abandoned.forEach(this::cancel);
    return abandoned;
  }

  /** A queued request left the queue unsent: the child never saw its id. */
  void forgetQueued(SerialQueue.Waiting waiting) {
    forgetRoutes(waiting.sessionId(), waiting.clientId(), waiting.progressKey());
  }

  private void forgetRoutes(String sessionId, JsonNode clientId, String progressKey) {
    upstreamIdByClientId.remove(clientKey(sessionId, clientId));
    if (progressKey != null) {
      progress.forget(progressKey);
    }
  }

  /**
   * The child is working on a request (anything but a ping) of an owner that {@code holds}: a
   * request that could ask a client something.
   */
  boolean anyAtChild(Predicate<String> holds) {
    for (Pending p : pending.values()) {
      // a cancelled request may never be answered (the SDKs' servers do not): waiting for it would
      // stall the key for a whole request timeout; attribution still counts it, so nothing is
      // misrouted
      if (!"ping".equals(p.method()) && !p.cancelled() && holds.test(p.sessionId())) {
        return true;
      }
    }
    return false;
  }

  /**
   * The sessions the child can be working for: cancelled and abandoned requests count (the child
   * may not have stopped), the router's own count (they are nobody's), pings do not (they ask the
   * child nothing).
   */
  Set<String> owners() {
    Set<String> owners = new HashSet<>();
    for (Pending p : pending.values()) {
      if (!"ping".equals(p.method())) {
        owners.add(p.sessionId());
      }
    }
    return owners;
  }

  int countFor(String sessionId) {
    return (int) pending.values().stream().filter(p -> p.sessionId().equals(sessionId)).count();
  }

  int size() {
    return pending.size();
  }

  void addTo(List<InFlight> all, Predicate<String> parked) {
    pending.forEach(
        (id, p) ->
            all.add(
                new InFlight(
                    LongNode.valueOf(id),
                    p.method(),
                    p.sentAtNanos(),
                    parked.test(p.sessionId()))));
  }

  /**
   * A parked session's call goes on: its requests' timeouts count from now (its client's think time
   * is not the child's).
   */
  void restartClocks(String sessionId) {
    long now = now();
    pending.replaceAll(
        (id, p) ->
            p.sessionId().equals(sessionId)
                ? new Pending(
                    p.sessionId(),
                    p.clientId(),
                    p.method(),
                    p.progressKey(),
                    now,
                    p.cancelled(),
                    p.call())
                : p);
  }

  private static String clientKey(String sessionId, JsonNode clientId) {
    return sessionId + '\n' + SessionRouting.idKey(clientId);
  }
}
