package io.mcprouter.routing;

import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Routing for {@code share_process = false}: one child, one session, messages pass unchanged. Only
 * the ids of requests in flight are remembered, so they can be failed when the child dies.
 */
public final class Passthrough implements SessionRouting {

  private String sessionId;
  private final Map<String, InFlight> inFlight = new LinkedHashMap<>();

  /**
   * When a request was sent, in {@link System#nanoTime} units (a test's virtual clock stands in).
   */
  private final LongSupplier clock;

  public Passthrough() {
    this(System::nanoTime);
  }

  public Passthrough(LongSupplier clock) {
    this.clock = clock;
  }

  @Override
  public void sessionOpened(String sessionId) {
    this.sessionId = sessionId;
  }

  @Override
  public Outcome fromClient(String sessionId, JsonRpcMessage message, Recipients out) {
    if (!out.toChild(message)) {
      return Outcome.CHILD_BUSY;
    }
    if (message instanceof JsonRpcMessage.Request r) {
      inFlight.put(
          SessionRouting.idKey(r.id()), new InFlight(r.id(), r.method(), clock.getAsLong()));
    } else if (message instanceof JsonRpcMessage.Notification n
        && "notifications/cancelled".equals(n.method())
        && n.params() != null
        && n.params().hasNonNull("requestId")) {
      inFlight.remove(SessionRouting.idKey(n.params().get("requestId")));
    }
    return Outcome.ACCEPTED;
  }

  @Override
  public boolean fromChild(JsonRpcMessage message, Recipients out) {
    // a request already answered (failed by the router at a forced stop or timeout) or cancelled
    // gets
    // no second answer: JSON-RPC gives each request exactly one, and the child's late one is
    // dropped
    if (message instanceof JsonRpcMessage.Response r
        && inFlight.remove(SessionRouting.idKey(r.id())) == null) {
      return false;
    }
    if (sessionId == null) {
      return false;
    }
    out.toSession(sessionId, message);
    return true;
  }

  @Override
  public void sessionClosed(String closedId, Recipients out) {
    if (closedId.equals(sessionId)) {
      sessionId = null;
      parked = false;
      inFlight.clear();
    }
  }

  /** Its one session's call waits for its client's input (see {@link SessionRouting.InFlight}). */
  private boolean parked;

  @Override
  public void sessionParked(String parkedId, boolean isParked, Recipients out) {
    if (!parkedId.equals(sessionId)) {
      return;
    }
    parked = isParked;
    if (!isParked) {
      long now = clock.getAsLong();
      inFlight.replaceAll((id, r) -> new InFlight(r.childSideId(), r.method(), now));
    }
  }

  @Override
  public int inFlightFor(String sessionId) {
    return sessionId.equals(this.sessionId) ? inFlight.size() : 0;
  }

  @Override
  public List<InFlight> inFlightRequests() {
    if (!parked) {
      return List.copyOf(inFlight.values());
    }
    return inFlight.values().stream()
        .map(r -> new InFlight(r.childSideId(), r.method(), r.sentAtNanos(), true))
        .toList();
  }
}
