package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.jsonrpc.ProtocolVersions;
import io.mcprouter.modern.ModernProtocol;
import io.mcprouter.observe.Call;
import io.mcprouter.observe.InstanceObservation;
import io.mcprouter.routing.SessionRouting.Outcome;
import io.mcprouter.routing.SessionRouting.Recipients;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one {@code initialize} of a shared child. The first session's goes to the child, asking for
 * the newest revision the router speaks (so the child's era does not depend on which client came
 * first) and with the capabilities of {@link SharedRoots#advertise}; sessions that come while it is
 * out wait for its answer, later ones get the cached result at once. Only the first {@code
 * notifications/initialized} reaches the child. A child that replaced a crashed one is initialized
 * again with the same parameters.
 */
final class SharedInitialize {

  /** A session waiting for the answer of the initialize at the child; {@code call} its record. */
  private record Waiter(String sessionId, JsonNode clientId, Call call) {}

  private final InFlightTable table;
  private final SharedRoots roots;
  private final Map<String, SessionState> sessions;
  private final InstanceObservation observation;

  /** As sent to the child, for a replacement child. */
  private ObjectNode params;

  private JsonNode result;
  private Long inFlight;
  private final List<Waiter> waiters = new ArrayList<>();
  private boolean initializedForwarded;
  private Long replayed;

  SharedInitialize(
      InFlightTable table,
      SharedRoots roots,
      Map<String, SessionState> sessions,
      InstanceObservation observation) {
    this.table = table;
    this.roots = roots;
    this.sessions = sessions;
    this.observation = observation;
  }

  /**
   * A session's {@code initialize}: answered from the cache, held for the one in flight, or sent.
   * Each is one call observed, whoever answers it.
   */
  Outcome request(
      String sessionId, SessionState session, JsonRpcMessage.Request request, Recipients out) {
    observation.initialize(session.site, request.params());
    Call call = observation.requestSent(session.site, request);
    ObjectNode params =
        request.params() instanceof ObjectNode p
            ? p.deepCopy()
            : JsonNodeFactory.instance.objectNode();
    if (params.get("capabilities") instanceof ObjectNode declared) {
      session.capabilities = declared.deepCopy();
    }
    declaredBy(session, params);
    session.requestedVersion = params.path("protocolVersion").asText(null);
    if (result != null) {
      session.initialized = true;
      JsonRpcMessage.Response cached =
          JsonRpcMessage.success(request.id(), resultFor(session, result));
      observation.answered(call, cached);
      out.toSession(sessionId, cached);
      return Outcome.ACCEPTED;
    }
    if (inFlight != null) {
      waiters.add(new Waiter(sessionId, request.id(), call));
      return Outcome.ACCEPTED;
    }
    roots.advertise(
        params.get("capabilities") instanceof ObjectNode c ? c : params.putObject("capabilities"));
    params.put("protocolVersion", ProtocolVersions.LATEST);
    long upstreamId = table.nextId();
    if (!out.toChild(
        new JsonRpcMessage.Request(LongNode.valueOf(upstreamId), "initialize", params))) {
      observation.unsent(call); // the refusal that follows ends it
      return Outcome.CHILD_BUSY;
    }
    inFlight = upstreamId;
    this.params = params;
    table.sent(upstreamId, sessionId, request.id(), "initialize", null, table.now(), call);
    return Outcome.ACCEPTED;
  }

  /**
   * What the session can be asked: as a 2026-07-28 request declared it (the router's marker, which
   * the child never sees), else as the client's capabilities say.
   */
  private static void declaredBy(SessionState session, ObjectNode params) {
    JsonNode declared = null;
    if (params.get("_meta") instanceof ObjectNode meta) {
      declared = meta.remove(ModernProtocol.DECLARED);
      if (meta.isEmpty()) {
        params.remove("_meta");
      }
    }
    JsonNode asked = declared != null ? declared : session.capabilities;
    session.interactive = asked.has("sampling") || asked.has("elicitation") || asked.has("roots");
    session.answersRoots = declared != null && declared.has("roots");
  }

  /**
   * A client's {@code notifications/initialized}: the child hears it once, after its initialize
   * succeeded.
   */
  Outcome initializedNotification(JsonRpcMessage.Notification notification, Recipients out) {
    if (result != null && !initializedForwarded) {
      initializedForwarded = out.toChild(notification);
      return initializedForwarded ? Outcome.ACCEPTED : Outcome.CHILD_BUSY;
    }
    return Outcome.ACCEPTED;
  }

  /** The id of the sessions' initialize at the child, or null. */
  Long inFlight() {
    return inFlight;
  }

  /** The child answered the sessions' initialize: every session waiting for it gets the answer. */
  void answered(InFlightTable.Pending origin, JsonRpcMessage.Response response, Recipients out) {
    inFlight = null;
    List<Waiter> all = new ArrayList<>();
    all.add(new Waiter(origin.sessionId(), origin.clientId(), origin.call()));
    all.addAll(waiters);
    waiters.clear();
    if (!response.isError()) {
      result = response.result();
    }
    for (Waiter waiter : all) {
      SessionState session = sessions.get(waiter.sessionId());
      if (session == null) {
        observation.cancelled(waiter.call()); // its session closed while the child answered
        continue;
      }
      session.initialized |= !response.isError();
      JsonRpcMessage.Response answer =
          new JsonRpcMessage.Response(
              waiter.clientId(),
              response.isError() ? response.result() : resultFor(session, response.result()),
              response.error());
      observation.answered(waiter.call(), answer);
      out.toSession(waiter.sessionId(), answer);
    }
  }

  /**
   * The cached result as this session should see it: its own revision when the router speaks it
   * (the child keeps speaking what it negotiated; see the README on eras), else the child's. A
   * copy, since the cache is shared and sent nodes are never mutated.
   */
  static JsonNode resultFor(SessionState session, JsonNode result) {
    if (!(result instanceof ObjectNode negotiated)
        || !ProtocolVersions.isSupported(session.requestedVersion)
        || session.requestedVersion.equals(negotiated.path("protocolVersion").asText(null))) {
      return result;
    }
    ObjectNode answer = negotiated.deepCopy();
    answer.put("protocolVersion", session.requestedVersion);
    return answer;
  }

  void sessionClosed(String sessionId) {
    waiters.removeIf(
        w -> {
          if (!w.sessionId().equals(sessionId)) {
            return false;
          }
          observation.cancelled(w.call());
          return true;
        });
  }

  /**
   * A new child: it has not heard {@code notifications/initialized}; initialized before if the
   * first one was.
   */
  void childReplaced(Recipients out) {
    initializedForwarded = false;
    if (params == null || result == null) {
      return;
    }
    Long upstreamId = table.sendOwn("initialize", params, out);
    if (upstreamId != null) {
      replayed = upstreamId;
    }
  }

  boolean replaying() {
    return replayed != null;
  }

  boolean isReplay(Long upstreamId) {
    return upstreamId.equals(replayed);
  }

  /**
   * The new child answered the replayed initialize; on success it is told {@code
   * notifications/initialized} and true is returned: it may now be asked what the sessions had
   * asked of the old one.
   */
  boolean replayAnswered(JsonRpcMessage.Response response, Recipients out) {
    replayed = null;
    if (response.isError()) {
      return false; // the sessions' next requests will show the server's complaint
    }
    initializedForwarded =
        out.toChild(new JsonRpcMessage.Notification("notifications/initialized", null));
    return true;
  }
}
