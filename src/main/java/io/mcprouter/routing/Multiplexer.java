package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.Call;
import io.mcprouter.observe.CallSite;
import io.mcprouter.observe.InstanceObservation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Routing for {@code share_process = true}: many client sessions over one child.
 *
 * <ul>
 *   <li>Request ids are rewritten to router-unique numbers and restored, exactly as sent, on the
 *       answer ({@link InFlightTable}).
 *   <li>The child is initialized once, and every session gets the cached result under its own id
 *       ({@link SharedInitialize}).
 *   <li>The child is told the clients can do sampling and elicitation, whatever the first client
 *       said; a server-to-client request for a session that did not declare the capability is
 *       answered here with an error instead. Roots are the key's, never a client's ({@link
 *       SharedRoots}): the router answers {@code roots/list} and the child's {@code ping} itself.
 *   <li>Progress tokens become the upstream request id, so {@code notifications/progress} reaches
 *       only the requester ({@link ProgressTokens}); {@code notifications/cancelled} ids are mapped
 *       both ways.
 *   <li>A server-to-client request goes to a session only when attribution is certain ({@link
 *       ServerRequests}). With {@code interactive = "serialize"} only one client request at a time
 *       reaches the child ({@link SerialQueue}), so there is never more than one candidate.
 *   <li>Other notifications go to every initialized session.
 *   <li>A child that replaced a crashed one is initialized and subscribed again ({@link
 *       Subscriptions}).
 * </ul>
 */
public final class Multiplexer implements SessionRouting {

  private final Map<String, SessionState> sessions = new LinkedHashMap<>();
  private final ProgressTokens progress = new ProgressTokens();
  private final InFlightTable table;
  private final Subscriptions subscriptions = new Subscriptions();
  private final SharedInitialize initialize;
  private final ServerRequests serverRequests;
  private final String key;
  private final InstanceObservation observation;

  /** Null unless {@code interactive = "serialize"}. */
  private final SerialQueue serial;

  /** A key with the defaults: attribution, no configured roots (tests). */
  public Multiplexer() {
    this("", ServerSpec.Interactive.ATTRIBUTE, List.of(), Integer.MAX_VALUE);
  }

  public Multiplexer(
      String key, ServerSpec.Interactive interactive, List<String> roots, int queueLimit) {
    this(key, interactive, roots, queueLimit, System::nanoTime);
  }

  /**
   * {@code queueLimit}: how many requests may wait for a serialized child before new ones are
   * refused.
   */
  public Multiplexer(
      String key,
      ServerSpec.Interactive interactive,
      List<String> roots,
      int queueLimit,
      LongSupplier clock) {
    this(key, interactive, roots, queueLimit, clock, InstanceObservation.OFF);
  }

  /** {@code observation}: told of every client request routed and of its answer. */
  public Multiplexer(
      String key,
      ServerSpec.Interactive interactive,
      List<String> roots,
      int queueLimit,
      LongSupplier clock,
      InstanceObservation observation) {
    this.key = key;
    this.observation = observation;
    this.table = new InFlightTable(progress, clock, observation);
    SharedRoots sharedRoots = new SharedRoots(roots);
    this.initialize = new SharedInitialize(table, sharedRoots, sessions, observation);
    this.serverRequests = new ServerRequests(key, sharedRoots, table, sessions);
    this.serial =
        interactive == ServerSpec.Interactive.SERIALIZE ? new SerialQueue(queueLimit) : null;
  }

  @Override
  public void sessionOpened(String sessionId) {
    sessionOpened(sessionId, null);
  }

  @Override
  public void sessionOpened(String sessionId, CallSite site) {
    sessions.putIfAbsent(sessionId, new SessionState(site));
  }

  @Override
  public Outcome fromClient(String sessionId, JsonRpcMessage message, Recipients out) {
    SessionState session = sessions.computeIfAbsent(sessionId, id -> new SessionState(null));
    if (message instanceof JsonRpcMessage.Request request) {
      if ("initialize".equals(request.method())) {
        return initialize.request(sessionId, session, request, out);
      }
      return forwardRequest(sessionId, session, request, out);
    }
    if (message instanceof JsonRpcMessage.Notification notification) {
      return forwardNotification(sessionId, notification, out);
    }
    JsonRpcMessage.Response answer = (JsonRpcMessage.Response) message;
    List<JsonRpcMessage.Response> held = resuming.get(sessionId);
    if (held != null) {
      held.add(answer);
      return Outcome.ACCEPTED;
    }
    return serverRequests.reply(sessionId, answer, out);
  }

  private Outcome forwardRequest(
      String sessionId, SessionState session, JsonRpcMessage.Request request, Recipients out) {
    CallSite site = session.site;
    if (!subscriptions.forward(sessionId, request)) {
      // another session already follows the resource (or still does): the child's state stands
      out.toSession(
          sessionId, JsonRpcMessage.success(request.id(), JsonNodeFactory.instance.objectNode()));
      return Outcome.ACCEPTED;
    }
    long upstreamId = table.nextId();
    JsonNode params = request.params();
    JsonNode clientToken = ProgressTokens.clientToken(params);
    String progressKey = null;
    if (clientToken != null) {
      params = ProgressTokens.withUpstreamToken(params, upstreamId);
      progressKey = ProgressTokens.key(upstreamId);
    }
    JsonRpcMessage.Request upstream =
        new JsonRpcMessage.Request(LongNode.valueOf(upstreamId), request.method(), params);
    boolean interactive = session.interactive;
    if (serial != null
        && !"ping".equals(request.method())
        && (!serial.isEmpty() || mustWait(interactive))) {
      if (serial.full()) {
        JsonRpcError full =
            new JsonRpcError(
                JsonRpcError.UNAVAILABLE,
                "server '"
                    + key
                    + "' takes one request at a time and "
                    + serial.limit()
                    + " requests are already waiting; retry later");
        observation.refused(site, request, full);
        out.toSession(sessionId, JsonRpcMessage.failure(request.id(), full));
        return Outcome.ACCEPTED;
      }
      Call call = observation.requestSent(site, request);
      serial.add(
          new SerialQueue.Waiting(
              upstreamId,
              sessionId,
              request.id(),
              observation.forChild(call, upstream),
              progressKey,
              interactive,
              table.now(),
              call));
    } else {
      // observed before the write: a tracer's context must be in the line the child reads
      Call call = observation.requestSent(site, request);
      if (!out.toChild(observation.forChild(call, upstream))) {
        observation.unsent(call);
        return Outcome.CHILD_BUSY;
      }
      table.sent(
          upstreamId, sessionId, request.id(), request.method(), progressKey, table.now(), call);
    }
    table.mapClientId(sessionId, request.id(), upstreamId);
    if (progressKey != null) {
      progress.route(progressKey, sessionId, clientToken);
    }
    return Outcome.ACCEPTED;
  }

  /**
   * Serialized: whether a request must wait. An interactive one (its session can be asked
   * something) waits while the child works on any other call; any request waits while the child
   * works on an interactive one. Parked calls (waiting for their client's input, however long) and
   * cancelled ones hold nobody; non-interactive calls may share the child, since nobody could be
   * asked on their behalf.
   */
  private boolean mustWait(boolean interactive) {
    return table.anyAtChild(
        owner -> !serverRequests.isParked(owner) && (interactive || interactiveOwner(owner)));
  }

  /** The router's own requests and those of sessions gone are taken as interactive: they hold. */
  private boolean interactiveOwner(String sessionId) {
    SessionState session = sessions.get(sessionId);
    return session == null || session.interactive;
  }

  /**
   * Serialized: a parked call's answers to its child (the retry of a 2026-07-28 request), held
   * while another interactive call is at the child, so the child's next request still has one
   * candidate; by session, in arrival order.
   */
  private final Map<String, List<JsonRpcMessage.Response>> resuming = new LinkedHashMap<>();

  /**
   * Serialized: resumes held parked calls, then sends the oldest waiting request, as far as nothing
   * at the child holds them.
   */
  private void sendNextQueued(Recipients out) {
    if (serial == null) {
      return;
    }
    for (var it = resuming.entrySet().iterator(); it.hasNext() && !mustWait(true); ) {
      var held = it.next();
      it.remove();
      serverRequests.parked(held.getKey(), false);
      table.restartClocks(held.getKey());
      held.getValue().forEach(answer -> serverRequests.reply(held.getKey(), answer, out));
    }
    while (!serial.isEmpty() && !mustWait(serial.peek().interactive())) {
      SerialQueue.Waiting next = serial.poll();
      if (out.toChild(next.request())) {
        // the timeout counts from the client's request: queued time is time the client waited too
        table.sent(
            next.upstreamId(),
            next.sessionId(),
            next.clientId(),
            next.request().method(),
            next.progressKey(),
            next.queuedAtNanos(),
            next.call());
      } else {
        table.forgetQueued(next);
        JsonRpcMessage.Response busy =
            JsonRpcMessage.failure(
                next.clientId(),
                new JsonRpcError(
                    JsonRpcError.UNAVAILABLE,
                    "server '" + key + "' is busy: its stdin buffer is full, retry later"));
        observation.overflowed(next.call(), busy);
        out.toSession(next.sessionId(), busy);
      }
    }
  }

  private Outcome forwardNotification(
      String sessionId, JsonRpcMessage.Notification notification, Recipients out) {
    switch (notification.method()) {
      case "notifications/initialized" -> {
        return initialize.initializedNotification(notification, out);
      }
      case "notifications/cancelled" -> {
        JsonNode requestId =
            notification.params() == null ? null : notification.params().get("requestId");
        Long upstreamId = requestId == null ? null : table.takeByClientId(sessionId, requestId);
        if (upstreamId == null) {
          return Outcome.ACCEPTED; // already answered or never sent: nothing to cancel
        }
        SerialQueue.Waiting queued = serial == null ? null : serial.remove(upstreamId);
        if (queued != null) {
          table.forgetQueued(
              queued); // the child never saw it; MCP: a cancelled request gets no answer
          observation.cancelled(queued.call());
          return Outcome.ACCEPTED;
        }
        table.cancel(upstreamId);
        ObjectNode params = (ObjectNode) notification.params().deepCopy();
        params.put("requestId", upstreamId);
        out.toChild(new JsonRpcMessage.Notification(notification.method(), params));
        sendNextQueued(
            out); // the cancelled one no longer holds the child (see InFlightTable.anyAtChild)
        return Outcome.ACCEPTED;
      }
      case "notifications/roots/list_changed" -> {
        return Outcome.ACCEPTED; // a client's roots are not the shared child's (SharedRoots)
      }
      default -> {
        return out.toChild(notification) ? Outcome.ACCEPTED : Outcome.CHILD_BUSY;
      }
    }
  }

  @Override
  public boolean fromChild(JsonRpcMessage message, Recipients out) {
    if (message instanceof JsonRpcMessage.Response response) {
      boolean routed = routeAnswer(response, out);
      sendNextQueued(out); // after the answer, and after what a replayed initialize sends
      return routed;
    }
    if (message instanceof JsonRpcMessage.Request request) {
      serverRequests.fromChild(request, out);
      return true;
    }
    JsonRpcMessage.Notification notification = (JsonRpcMessage.Notification) message;
    switch (notification.method()) {
      case "notifications/progress" -> {
        return progress.toClient(notification, out);
      }
      case "notifications/cancelled" -> {
        return serverRequests.cancelled(notification, out);
      }
      default -> {
        sessions.forEach(
            (id, state) -> {
              if (state.initialized) {
                out.toSession(id, notification);
              }
            });
        return true;
      }
    }
  }

  private boolean routeAnswer(JsonRpcMessage.Response response, Recipients out) {
    // asLong() wraps a longer integer silently: 2^64 + 5 would answer upstream request 5
    Long upstreamId =
        response.id().isIntegralNumber() && response.id().canConvertToLong()
            ? response.id().asLong()
            : null;
    InFlightTable.Pending origin = upstreamId == null ? null : table.answered(upstreamId);
    if (origin == null) {
      SerialQueue.Waiting queued =
          upstreamId == null || serial == null ? null : serial.remove(upstreamId);
      if (queued == null) {
        return false;
      }
      // only the router fails a queued request (a timeout, a crash): the child never saw its id
      table.forgetQueued(queued);
      JsonRpcMessage.Response answer =
          new JsonRpcMessage.Response(queued.clientId(), response.result(), response.error());
      observation.answered(queued.call(), answer);
      out.toSession(queued.sessionId(), answer);
      return true;
    }
    if (origin.cancelled()) {
      return false; // its client cancelled it or left: nobody is waiting for the answer
    }
    if (origin.sessionId().equals(InFlightTable.ROUTER)) {
      if (initialize.isReplay(upstreamId) && initialize.replayAnswered(response, out)) {
        subscriptions.replay(table, out);
      }
      return true;
    }
    if (upstreamId.equals(initialize.inFlight())) {
      initialize.answered(origin, response, out);
      return true;
    }
    if (sessions.containsKey(origin.sessionId())) {
      JsonRpcMessage.Response answer =
          new JsonRpcMessage.Response(origin.clientId(), response.result(), response.error());
      observation.answered(origin.call(), answer);
      out.toSession(origin.sessionId(), answer);
    } else {
      observation.cancelled(origin.call());
    }
    return true;
  }

  /**
   * A new child replaced a crashed one: it is initialized as the first was (same parameters), then
   * told {@code notifications/initialized}, then re-subscribed to every resource a session follows,
   * so the sessions go on as if nothing had happened. Requests in flight were failed before.
   */
  @Override
  public void childReplaced(Recipients out) {
    initialize.childReplaced(out);
  }

  @Override
  public boolean replaying() {
    return initialize.replaying();
  }

  @Override
  public void sessionParked(String sessionId, boolean parked, Recipients out) {
    if (!parked && serial != null && mustWait(true)) {
      // still parked for attribution until the interactive call at the child is done
      resuming.putIfAbsent(sessionId, new ArrayList<>());
      return;
    }
    serverRequests.parked(sessionId, parked);
    if (!parked) {
      table.restartClocks(sessionId);
    }
    sendNextQueued(out); // a parked call no longer holds the child
  }

  @Override
  public void sessionClosed(String sessionId, Recipients out) {
    serverRequests.parked(sessionId, false);
    resuming.remove(sessionId);
    sessions.remove(sessionId);
    for (String uri : subscriptions.sessionClosed(sessionId)) {
      table.sendOwn(
          "resources/unsubscribe", JsonNodeFactory.instance.objectNode().put("uri", uri), out);
    }
    initialize.sessionClosed(sessionId);
    // the initialize other sessions wait for is not cancelled: they still get its answer
    List<Long> abandoned = table.abandon(sessionId, initialize.inFlight());
    if (serial != null) {
      for (SerialQueue.Waiting queued : serial.removeSession(sessionId)) {
        table.forgetQueued(queued);
        observation.cancelled(queued.call());
      }
    }
    for (Long upstreamId : abandoned) {
      ObjectNode params = JsonNodeFactory.instance.objectNode();
      params.put("requestId", upstreamId);
      params.put("reason", "client session closed");
      out.toChild(new JsonRpcMessage.Notification("notifications/cancelled", params));
    }
    serverRequests.sessionClosed(sessionId, out);
    sendNextQueued(out); // its requests were cancelled: they hold nobody now
  }

  /**
   * Queued requests count: to the client they are in flight, and the per-session limit bounds the
   * queue too.
   */
  @Override
  public int inFlightFor(String sessionId) {
    return table.countFor(sessionId) + (serial == null ? 0 : serial.countFor(sessionId));
  }

  /**
   * Queued requests first, so failing them all (a crash) empties the queue before the request at
   * the child is failed, and nothing is sent to a dead child.
   */
  @Override
  public List<InFlight> inFlightRequests() {
    List<InFlight> all = new ArrayList<>();
    if (serial != null) {
      serial
          .all()
          .forEach(
              w ->
                  all.add(
                      new InFlight(
                          LongNode.valueOf(w.upstreamId()),
                          w.request().method(),
                          w.queuedAtNanos())));
    }
    table.addTo(all, serverRequests::isParked);
    return all;
  }

  @Override
  public int inFlight() {
    return table.size() + (serial == null ? 0 : serial.size());
  }
}
