package io.mcprouter.routing;

import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.Call;
import io.mcprouter.observe.CallSite;
import io.mcprouter.observe.InstanceObservation;
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
  private CallSite site;
  private final Map<String, Sent> inFlight = new LinkedHashMap<>();
  private final InstanceObservation observation;

  /** A request at the child, and its observation (null when nothing observes). */
  private record Sent(InFlight request, Call call) {}

  /**
   * When a request was sent, in {@link System#nanoTime} units (a test's virtual clock stands in).
   */
  private final LongSupplier clock;

  public Passthrough() {
    this(System::nanoTime);
  }

  public Passthrough(LongSupplier clock) {
    this(clock, InstanceObservation.OFF);
  }

  public Passthrough(LongSupplier clock, InstanceObservation observation) {
    this.clock = clock;
    this.observation = observation;
  }

  @Override
  public void sessionOpened(String sessionId) {
    sessionOpened(sessionId, null);
  }

  @Override
  public void sessionOpened(String sessionId, CallSite site) {
    this.sessionId = sessionId;
    this.site = site;
  }

  @Override
  public Outcome fromClient(String sessionId, JsonRpcMessage message, Recipients out) {
    Call call = null;
    JsonRpcMessage toChild = message;
    if (message instanceof JsonRpcMessage.Request r) {
      // observed before the write: a tracer's context must be in the line the child reads
      call = observation.requestSent(site, r);
      toChild = observation.forChild(call, r);
    }
    if (!out.toChild(toChild)) {
      observation.unsent(call);
      return Outcome.CHILD_BUSY;
    }
    if (message instanceof JsonRpcMessage.Request r) {
      if ("initialize".equals(r.method())) {
        observation.initialize(site, r.params());
      }
      inFlight.put(
          SessionRouting.idKey(r.id()),
          new Sent(new InFlight(r.id(), r.method(), clock.getAsLong()), call));
    } else if (message instanceof JsonRpcMessage.Notification n
        && "notifications/cancelled".equals(n.method())
        && n.params() != null
        && n.params().hasNonNull("requestId")) {
      Sent cancelled = inFlight.remove(SessionRouting.idKey(n.params().get("requestId")));
      if (cancelled != null) {
        observation.cancelled(cancelled.call());
      }
    }
    return Outcome.ACCEPTED;
  }

  @Override
  public boolean fromChild(JsonRpcMessage message, Recipients out) {
    // a request already answered (failed by the router at a forced stop or timeout) or cancelled
    // gets
    // no second answer: JSON-RPC gives each request exactly one, and the child's late one is
    // dropped
    if (message instanceof JsonRpcMessage.Response r) {
      Sent sent = inFlight.remove(SessionRouting.idKey(r.id()));
      if (sent == null) {
        return false;
      }
      observation.answered(sent.call(), r);
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
      inFlight.values().forEach(sent -> observation.cancelled(sent.call()));
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
      inFlight.replaceAll(
          (id, sent) ->
              new Sent(
                  new InFlight(sent.request().childSideId(), sent.request().method(), now),
                  sent.call()));
    }
  }

  @Override
  public int inFlightFor(String sessionId) {
    return sessionId.equals(this.sessionId) ? inFlight.size() : 0;
  }

  @Override
  public List<InFlight> inFlightRequests() {
    if (!parked) {
      return inFlight.values().stream().map(Sent::request).toList();
    }
    return inFlight.values().stream()
        .map(Sent::request)
        .map(r -> new InFlight(r.childSideId(), r.method(), r.sentAtNanos(), true))
        .toList();
  }
}
