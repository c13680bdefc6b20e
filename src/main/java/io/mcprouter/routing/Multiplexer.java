package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.jsonrpc.ProtocolVersions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.mcprouter.config.ServerSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routing for {@code share_process = true}: many client sessions over one child.
 *
 * <ul>
 *   <li>Request ids are rewritten to router-unique numbers and restored, exactly as sent, on the answer.
 *   <li>The child is initialized once, asked for the newest revision the router speaks (so its era
 *       does not depend on which client came first); every session gets the cached result under its
 *       own id with the {@code protocolVersion} it asked for when the router supports that revision,
 *       else the one the child negotiated. Only the first {@code notifications/initialized} reaches
 *       the child.
 *   <li>The child is told the clients can do sampling and elicitation, whatever the first client
 *       said; a server-to-client request for a session that did not declare the capability is
 *       answered here with an error instead. Roots are the key's, never a client's ({@link SharedRoots}):
 *       the router answers {@code roots/list} and the child's {@code ping} itself.
 *   <li>Progress tokens become the upstream request id, so {@code notifications/progress} reaches only
 *       the requester; {@code notifications/cancelled} ids are mapped both ways.
 *   <li>A server-to-client request goes to a session only when attribution is certain: exactly one
 *       session has requests in flight at the child (pings aside; a request its client cancelled or
 *       abandoned counts until the child answers it or times out, since the child may still be working
 *       on it). Otherwise the child gets an error: a guess could hand one user's prompt to another and
 *       put the other's answer into the first one's result. A {@code _meta} hint is no proof (the
 *       child writes it). With {@code interactive = "serialize"} only one client request at a time
 *       reaches the child ({@link SerialQueue}), so there is never more than one candidate.
 *   <li>Other notifications go to every initialized session.
 * </ul>
 */
public final class Multiplexer implements SessionRouting {

  private static final Logger log = LoggerFactory.getLogger(Multiplexer.class);

  private static final Map<String, String> CAPABILITY_FOR_METHOD = Map.of(
      "sampling/createMessage", "sampling",
      "elicitation/create", "elicitation");

  /**
   * {@code cancelled}: the client cancelled it or its session closed; kept until the child answers (the
   * answer is dropped) or it times out, because the child may still be working on it.
   */
  private record Pending(String sessionId, JsonNode clientId, String method, String progressKey, long sentAtNanos,
      boolean cancelled) {

    Pending(String sessionId, JsonNode clientId, String method, String progressKey, long sentAtNanos) {
      this(sessionId, clientId, method, progressKey, sentAtNanos, false);
    }

    Pending asCancelled() {
      return new Pending(sessionId, clientId, method, progressKey, sentAtNanos, true);
    }
  }

  private record ProgressRoute(String sessionId, JsonNode clientToken) {}

  private record ServerRequest(String sessionId, JsonNode id) {}

  private record InitWaiter(String sessionId, JsonNode clientId) {}

  private static final class SessionState {
    JsonNode capabilities = JsonNodeFactory.instance.objectNode();
    String requestedVersion;
    boolean initialized;
  }

  /** Owner of the router's own requests (the initialize and subscriptions replayed to a restarted child). */
  private static final String ROUTER = "";

  private final Map<Long, Pending> pending = new HashMap<>();
  private final Map<String, java.util.Set<String>> subscriptions = new HashMap<>();
  private ObjectNode initializeParams;
  private Long replayedInitialize;
  private final Map<String, Long> upstreamIdByClientId = new HashMap<>();
  private final Map<String, ProgressRoute> progressRoutes = new HashMap<>();
  private final Map<String, ServerRequest> serverRequests = new HashMap<>();
  private final Map<String, SessionState> sessions = new LinkedHashMap<>();
  private final List<InitWaiter> initWaiters = new ArrayList<>();
  private long nextUpstreamId = 1;
  private Long initializeInFlight;
  private JsonNode initializeResult;
  private boolean initializedForwarded;
  private final String key;
  private final SharedRoots roots;
  /** Null unless {@code interactive = "serialize"}. */
  private final SerialQueue serial;

  /** A key with the defaults: attribution, no configured roots (tests). */
  public Multiplexer() {
    this("", ServerSpec.Interactive.ATTRIBUTE, List.of(), Integer.MAX_VALUE);
  }

  /** {@code queueLimit}: how many requests may wait for a serialized child before new ones are refused. */
  public Multiplexer(String key, ServerSpec.Interactive interactive, List<String> roots, int queueLimit) {
    this.key = key;
    this.roots = new SharedRoots(roots);
    this.serial = interactive == ServerSpec.Interactive.SERIALIZE ? new SerialQueue(queueLimit) : null;
  }

  @Override
  public void sessionOpened(String sessionId) {
    sessions.putIfAbsent(sessionId, new SessionState());
  }

  @Override
  public Outcome fromClient(String sessionId, JsonRpcMessage message, Outbox out) {
    SessionState session = sessions.computeIfAbsent(sessionId, id -> new SessionState());
    if (message instanceof JsonRpcMessage.Request request) {
      return "initialize".equals(request.method())
          ? initialize(sessionId, session, request, out)
          : forwardRequest(sessionId, request, out);
    }
    if (message instanceof JsonRpcMessage.Notification notification) {
      return forwardNotification(sessionId, notification, out);
    }
    return forwardReplyToServer(sessionId, (JsonRpcMessage.Response) message, out);
  }

  private Outcome initialize(String sessionId, SessionState session, JsonRpcMessage.Request request, Outbox out) {
    ObjectNode params = request.params() instanceof ObjectNode p ? p.deepCopy() : JsonNodeFactory.instance.objectNode();
    if (params.get("capabilities") instanceof ObjectNode declared) {
      session.capabilities = declared.deepCopy();
    }
    session.requestedVersion = params.path("protocolVersion").asText(null);
    if (initializeResult != null) {
      session.initialized = true;
      out.toSession(sessionId, JsonRpcMessage.success(request.id(), resultFor(session, initializeResult)));
      return Outcome.ACCEPTED;
    }
    if (initializeInFlight != null) {
      initWaiters.add(new InitWaiter(sessionId, request.id()));
      return Outcome.ACCEPTED;
    }
    roots.advertise(params.get("capabilities") instanceof ObjectNode c ? c : params.putObject("capabilities"));
    params.put("protocolVersion", ProtocolVersions.LATEST);
    long upstreamId = nextUpstreamId++;
    if (!out.toChild(new JsonRpcMessage.Request(LongNode.valueOf(upstreamId), "initialize", params))) {
      return Outcome.CHILD_BUSY;
    }
    initializeInFlight = upstreamId;
    initializeParams = params;
    pending.put(upstreamId, new Pending(sessionId, request.id(), "initialize", null, System.nanoTime()));
    return Outcome.ACCEPTED;
  }

  private Outcome forwardRequest(String sessionId, JsonRpcMessage.Request request, Outbox out) {
    String uri = request.params() == null ? null : request.params().path("uri").asText(null);
    if ("resources/subscribe".equals(request.method()) && uri != null) {
      subscriptions.computeIfAbsent(sessionId, id -> new java.util.HashSet<>()).add(uri);
    } else if ("resources/unsubscribe".equals(request.method()) && uri != null && subscriptions.containsKey(sessionId)) {
      subscriptions.get(sessionId).remove(uri);
    }
    long upstreamId = nextUpstreamId++;
    JsonNode params = request.params();
    JsonNode clientToken = params == null ? null : params.path("_meta").get("progressToken");
    String progressKey = null;
    if (clientToken != null && !clientToken.isNull() && params.get("_meta").isObject()) {
      ObjectNode rewritten = (ObjectNode) params.deepCopy();
      ((ObjectNode) rewritten.get("_meta")).put("progressToken", upstreamId);
      params = rewritten;
      progressKey = "n:" + upstreamId;
    }
    JsonRpcMessage.Request upstream = new JsonRpcMessage.Request(LongNode.valueOf(upstreamId), request.method(), params);
    if (serial != null && !"ping".equals(request.method()) && (childBusy() || !serial.isEmpty())) {
      if (serial.full()) {
        out.toSession(sessionId, JsonRpcMessage.failure(request.id(), new JsonRpcError(JsonRpcError.UNAVAILABLE,
            "server '" + key + "' takes one request at a time and " + serial.limit()
                + " requests are already waiting; retry later")));
        return Outcome.ACCEPTED;
      }
      serial.add(new SerialQueue.Waiting(upstreamId, sessionId, request.id(), upstream, progressKey, System.nanoTime()));
    } else {
      if (!out.toChild(upstream)) {
        return Outcome.CHILD_BUSY;
      }
      pending.put(upstreamId, new Pending(sessionId, request.id(), request.method(), progressKey, System.nanoTime()));
    }
    upstreamIdByClientId.put(clientKey(sessionId, request.id()), upstreamId);
    if (progressKey != null) {
      progressRoutes.put(progressKey, new ProgressRoute(sessionId, clientToken));
    }
    return Outcome.ACCEPTED;
  }

  /** The child is working on a request that could ask a client something (anything but a ping). */
  private boolean childBusy() {
    for (Pending p : pending.values()) {
      // a cancelled request may never be answered (the SDKs' servers do not): waiting for it would
      // stall the key for a whole request timeout; attribution still counts it, so nothing is misrouted
      if (!"ping".equals(p.method()) && !p.cancelled()) {
        return true;
      }
    }
    return false;
  }

  /** Serialized: sends the oldest waiting request once the child has nothing else to do. */
  private void sendNextQueued(Outbox out) {
    while (serial != null && !serial.isEmpty() && !childBusy()) {
      SerialQueue.Waiting next = serial.poll();
      if (out.toChild(next.request())) {
        // the timeout counts from the client's request: queued time is time the client waited too
        pending.put(next.upstreamId(), new Pending(next.sessionId(), next.clientId(), next.request().method(),
            next.progressKey(), next.queuedAtNanos()));
      } else {
        forgetQueued(next);
        out.toSession(next.sessionId(), JsonRpcMessage.failure(next.clientId(), new JsonRpcError(JsonRpcError.UNAVAILABLE,
            "server '" + key + "' is busy: its stdin buffer is full, retry later")));
      }
    }
  }

  private void forgetQueued(SerialQueue.Waiting waiting) {
    upstreamIdByClientId.remove(clientKey(waiting.sessionId(), waiting.clientId()));
    if (waiting.progressKey() != null) {
      progressRoutes.remove(waiting.progressKey());
    }
  }

  private Outcome forwardNotification(String sessionId, JsonRpcMessage.Notification notification, Outbox out) {
    switch (notification.method()) {
      case "notifications/initialized" -> {
        if (initializeResult != null && !initializedForwarded) {
          initializedForwarded = out.toChild(notification);
          return initializedForwarded ? Outcome.ACCEPTED : Outcome.CHILD_BUSY;
        }
        return Outcome.ACCEPTED;
      }
      case "notifications/cancelled" -> {
        JsonNode requestId = notification.params() == null ? null : notification.params().get("requestId");
        Long upstreamId = requestId == null ? null : upstreamIdByClientId.remove(clientKey(sessionId, requestId));
        if (upstreamId == null) {
          return Outcome.ACCEPTED; // already answered or never sent: nothing to cancel
        }
        SerialQueue.Waiting queued = serial == null ? null : serial.remove(upstreamId);
        if (queued != null) {
          forgetQueued(queued); // the child never saw it; MCP: a cancelled request gets no answer
          return Outcome.ACCEPTED;
        }
        cancel(upstreamId);
        ObjectNode params = (ObjectNode) notification.params().deepCopy();
        params.put("requestId", upstreamId);
        out.toChild(new JsonRpcMessage.Notification(notification.method(), params));
        sendNextQueued(out); // the cancelled one no longer holds the child (see childBusy)
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

  private Outcome forwardReplyToServer(String sessionId, JsonRpcMessage.Response response, Outbox out) {
    String key = SessionRouting.idKey(response.id());
    ServerRequest request = serverRequests.get(key);
    if (request == null || !request.sessionId().equals(sessionId)) {
      return Outcome.ACCEPTED; // not asked of this session: dropping it keeps sessions apart
    }
    if (!out.toChild(response)) {
      return Outcome.CHILD_BUSY;
    }
    serverRequests.remove(key);
    return Outcome.ACCEPTED;
  }

  @Override
  public boolean fromChild(JsonRpcMessage message, Outbox out) {
    if (message instanceof JsonRpcMessage.Response response) {
      return answer(response, out);
    }
    if (message instanceof JsonRpcMessage.Request request) {
      askClient(request, out);
      return true;
    }
    JsonRpcMessage.Notification notification = (JsonRpcMessage.Notification) message;
    switch (notification.method()) {
      case "notifications/progress" -> {
        JsonNode token = notification.params() == null ? null : notification.params().get("progressToken");
        ProgressRoute route = token == null ? null : progressRoutes.get(SessionRouting.idKey(token));
        if (route == null) {
          return false;
        }
        ObjectNode params = (ObjectNode) notification.params().deepCopy();
        params.set("progressToken", route.clientToken());
        out.toSession(route.sessionId(), new JsonRpcMessage.Notification(notification.method(), params));
        return true;
      }
      case "notifications/cancelled" -> {
        JsonNode requestId = notification.params() == null ? null : notification.params().get("requestId");
        ServerRequest request = requestId == null ? null : serverRequests.remove(SessionRouting.idKey(requestId));
        if (request == null) {
          return false;
        }
        out.toSession(request.sessionId(), notification);
        return true;
      }
      default -> {
        sessions.forEach((id, state) -> {
          if (state.initialized) {
            out.toSession(id, notification);
          }
        });
        return true;
      }
    }
  }

  private boolean answer(JsonRpcMessage.Response response, Outbox out) {
    boolean routed = routeAnswer(response, out);
    sendNextQueued(out); // after the answer, and after what a replayed initialize sends
    return routed;
  }

  private boolean routeAnswer(JsonRpcMessage.Response response, Outbox out) {
    // asLong() wraps a longer integer silently: 2^64 + 5 would answer upstream request 5
    Long upstreamId = response.id().isIntegralNumber() && response.id().canConvertToLong() ? response.id().asLong() : null;
    Pending origin = upstreamId == null ? null : pending.get(upstreamId);
    if (origin == null) {
      SerialQueue.Waiting queued = upstreamId == null || serial == null ? null : serial.remove(upstreamId);
      if (queued == null) {
        return false;
      }
      // only the router fails a queued request (a timeout, a crash): the child never saw its id
      forgetQueued(queued);
      out.toSession(queued.sessionId(), new JsonRpcMessage.Response(queued.clientId(), response.result(), response.error()));
      return true;
    }
    forget(upstreamId);
    if (origin.cancelled()) {
      return false; // its client cancelled it or left: nobody is waiting for the answer
    }
    if (origin.sessionId().equals(ROUTER)) {
      if (upstreamId.equals(replayedInitialize)) {
        replayedInitialized(response, out);
      }
      return true;
    }
    if (upstreamId.equals(initializeInFlight)) {
      initialized(origin, response, out);
      return true;
    }
    if (sessions.containsKey(origin.sessionId())) {
      out.toSession(origin.sessionId(), new JsonRpcMessage.Response(origin.clientId(), response.result(), response.error()));
    }
    return true;
  }

  private void initialized(Pending origin, JsonRpcMessage.Response response, Outbox out) {
    initializeInFlight = null;
    List<InitWaiter> waiters = new ArrayList<>();
    waiters.add(new InitWaiter(origin.sessionId(), origin.clientId()));
    waiters.addAll(initWaiters);
    initWaiters.clear();
    if (!response.isError()) {
      initializeResult = response.result();
    }
    for (InitWaiter waiter : waiters) {
      SessionState session = sessions.get(waiter.sessionId());
      if (session != null) {
        session.initialized |= !response.isError();
        out.toSession(waiter.sessionId(), new JsonRpcMessage.Response(waiter.clientId(),
            response.isError() ? response.result() : resultFor(session, response.result()), response.error()));
      }
    }
  }

  /**
   * The cached result as this session should see it: its own revision when the router speaks it (the
   * child keeps speaking what it negotiated; see the README on eras), else the child's. A copy, since
   * the cache is shared and sent nodes are never mutated.
   */
  private static JsonNode resultFor(SessionState session, JsonNode result) {
    if (!(result instanceof ObjectNode negotiated) || !ProtocolVersions.isSupported(session.requestedVersion)
        || session.requestedVersion.equals(negotiated.path("protocolVersion").asText(null))) {
      return result;
    }
    ObjectNode answer = negotiated.deepCopy();
    answer.put("protocolVersion", session.requestedVersion);
    return answer;
  }

  private void askClient(JsonRpcMessage.Request request, Outbox out) {
    if ("ping".equals(request.method())) {
      // the router is the child's client: it is alive, whichever user is behind it
      out.toChild(JsonRpcMessage.success(request.id(), JsonNodeFactory.instance.objectNode()));
      return;
    }
    if ("roots/list".equals(request.method())) {
      out.toChild(JsonRpcMessage.success(request.id(), roots.listResult()));
      return;
    }
    String target = attributedSession();
    if (target == null) {
      log.warn("server request refused key={} method={} reason=cannot attribute it to one client session"
          + " ({} sessions with requests in flight)", key, request.method(), ownersInFlight().size());
      out.toChild(JsonRpcMessage.failure(request.id(), new JsonRpcError(JsonRpcError.INTERNAL_ERROR,
          "cannot attribute " + request.method() + " to one client session: requests of several sessions, or of none,"
              + " are in flight at this shared server (set interactive = \"serialize\" or share_process = false"
              + " for its key)")));
      return;
    }
    String capability = CAPABILITY_FOR_METHOD.get(request.method());
    if (capability != null && !sessions.get(target).capabilities.has(capability)) {
      out.toChild(JsonRpcMessage.failure(request.id(), new JsonRpcError(JsonRpcError.METHOD_NOT_FOUND,
          "the client of this session did not declare the '" + capability + "' capability")));
      return;
    }
    serverRequests.put(SessionRouting.idKey(request.id()), new ServerRequest(target, request.id()));
    out.toSession(target, request);
  }

  /**
   * The one session the child can be working for, or null. Cancelled and abandoned requests count
   * (the child may not have stopped), the router's own requests count (they are nobody's), pings do
   * not (a ping asks the child nothing).
   */
  private String attributedSession() {
    java.util.Set<String> owners = ownersInFlight();
    if (owners.size() != 1) {
      return null;
    }
    String owner = owners.iterator().next();
    return sessions.containsKey(owner) ? owner : null;
  }

  private java.util.Set<String> ownersInFlight() {
    java.util.Set<String> owners = new java.util.HashSet<>();
    for (Pending p : pending.values()) {
      if (!"ping".equals(p.method())) {
        owners.add(p.sessionId());
      }
    }
    return owners;
  }

  /**
   * A new child replaced a crashed one: it is initialized as the first was (same parameters), then
   * told {@code notifications/initialized}, then re-subscribed to every resource a session follows,
   * so the sessions go on as if nothing had happened. Requests in flight were failed before.
   */
  @Override
  public void childReplaced(Outbox out) {
    initializedForwarded = false;
    if (initializeParams == null || initializeResult == null) {
      return;
    }
    long upstreamId = nextUpstreamId++;
    if (out.toChild(new JsonRpcMessage.Request(LongNode.valueOf(upstreamId), "initialize", initializeParams))) {
      replayedInitialize = upstreamId;
      pending.put(upstreamId, new Pending(ROUTER, LongNode.valueOf(upstreamId), "initialize", null, System.nanoTime()));
    }
  }

  @Override
  public boolean replaying() {
    return replayedInitialize != null;
  }

  private void replayedInitialized(JsonRpcMessage.Response response, Outbox out) {
    replayedInitialize = null;
    if (response.isError()) {
      return; // the sessions' next requests will show the server's complaint
    }
    initializedForwarded = out.toChild(new JsonRpcMessage.Notification("notifications/initialized", null));
    subscriptions.values().stream().flatMap(java.util.Set::stream).distinct().forEach(uri -> {
      long upstreamId = nextUpstreamId++;
      ObjectNode params = JsonNodeFactory.instance.objectNode().put("uri", uri);
      if (out.toChild(new JsonRpcMessage.Request(LongNode.valueOf(upstreamId), "resources/subscribe", params))) {
        pending.put(upstreamId, new Pending(ROUTER, LongNode.valueOf(upstreamId), "resources/subscribe", null, System.nanoTime()));
      }
    });
  }

  @Override
  public void sessionClosed(String sessionId, Outbox out) {
    sessions.remove(sessionId);
    subscriptions.remove(sessionId);
    initWaiters.removeIf(w -> w.sessionId().equals(sessionId));
    List<Long> abandoned = new ArrayList<>();
    pending.forEach((upstreamId, p) -> {
      if (p.sessionId().equals(sessionId) && !upstreamId.equals(initializeInFlight)) {
        abandoned.add(upstreamId);
      }
    });
    if (serial != null) {
      serial.removeSession(sessionId).forEach(this::forgetQueued);
    }
    for (Long upstreamId : abandoned) {
      if (pending.get(upstreamId).cancelled()) {
        continue; // the child was told already
      }
      cancel(upstreamId);
      ObjectNode params = JsonNodeFactory.instance.objectNode();
      params.put("requestId", upstreamId);
      params.put("reason", "client session closed");
      out.toChild(new JsonRpcMessage.Notification("notifications/cancelled", params));
    }
    for (Iterator<ServerRequest> it = serverRequests.values().iterator(); it.hasNext(); ) {
      ServerRequest request = it.next();
      if (request.sessionId().equals(sessionId)) {
        it.remove();
        out.toChild(JsonRpcMessage.failure(request.id(),
            new JsonRpcError(JsonRpcError.INTERNAL_ERROR, "the client session closed before answering")));
      }
    }
  }

  /** Queued requests count: to the client they are in flight, and the per-session limit bounds the queue too. */
  @Override
  public int inFlightFor(String sessionId) {
    return (int) pending.values().stream().filter(p -> p.sessionId().equals(sessionId)).count()
        + (serial == null ? 0 : serial.countFor(sessionId));
  }

  /**
   * Queued requests first, so failing them all (a crash) empties the queue before the request at the
   * child is failed, and nothing is sent to a dead child.
   */
  @Override
  public List<InFlight> inFlightRequests() {
    List<InFlight> all = new ArrayList<>();
    if (serial != null) {
      serial.all().forEach(w -> all.add(new InFlight(LongNode.valueOf(w.upstreamId()), w.request().method(), w.queuedAtNanos())));
    }
    pending.forEach((id, p) -> all.add(new InFlight(LongNode.valueOf(id), p.method(), p.sentAtNanos())));
    return all;
  }

  @Override
  public int inFlight() {
    return pending.size() + (serial == null ? 0 : serial.size());
  }

  /** The client no longer waits for it; the child may still be working on it (see {@link Pending}). */
  private void cancel(long upstreamId) {
    Pending p = pending.get(upstreamId);
    forget(upstreamId);
    if (p != null) {
      pending.put(upstreamId, p.asCancelled());
    }
  }

  private void forget(long upstreamId) {
    Pending p = pending.remove(upstreamId);
    if (p != null) {
      upstreamIdByClientId.remove(clientKey(p.sessionId(), p.clientId()));
      if (p.progressKey() != null) {
        progressRoutes.remove(p.progressKey());
      }
    }
  }

  private static String clientKey(String sessionId, JsonNode clientId) {
    return sessionId + '\n' + SessionRouting.idKey(clientId);
  }
}
