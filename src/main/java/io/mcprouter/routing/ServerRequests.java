package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.SessionRouting.Outcome;
import io.mcprouter.routing.SessionRouting.Recipients;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests a shared child sends its client, and their answers. The router is that client for a
 * {@code ping} and for {@code roots/list} ({@link SharedRoots}), except that a 2026-07-28 request
 * that declared roots answers the {@code roots/list} of its own call when the key configures none.
 * Any other goes to a session only when attribution is certain: exactly one session has requests in
 * flight at the child (see {@link InFlightTable#owners}). Otherwise the child gets an error: a
 * guess could hand one user's prompt to another and put the other's answer into the first one's
 * result. A {@code _meta} hint is no proof (the child writes it). A session's answer reaches the
 * child only for a request asked of that session.
 */
final class ServerRequests {

  // the category of the class these lines were always logged under, so log settings keep applying
  private static final Logger log = LoggerFactory.getLogger(Multiplexer.class);

  private static final Map<String, String> CAPABILITY_FOR_METHOD =
      Map.of(
          "sampling/createMessage", "sampling",
          "elicitation/create", "elicitation");

  private record Asked(String sessionId, JsonNode id) {}

  /** By {@link SessionRouting#idKey} of the child's request id. */
  private final Map<String, Asked> asked = new HashMap<>();

  private final String key;
  private final SharedRoots roots;
  private final InFlightTable table;
  private final Map<String, SessionState> sessions;

  ServerRequests(
      String key, SharedRoots roots, InFlightTable table, Map<String, SessionState> sessions) {
    this.key = key;
    this.roots = roots;
    this.table = table;
    this.sessions = sessions;
  }

  /**
   * A request from the child: answered here, refused, or passed to the one session it can be for.
   */
  void fromChild(JsonRpcMessage.Request request, Recipients out) {
    if ("ping".equals(request.method())) {
      // the router is the child's client: it is alive, whichever user is behind it
      out.toChild(JsonRpcMessage.success(request.id(), JsonNodeFactory.instance.objectNode()));
      return;
    }
    Set<String> owners = table.owners();
    String target = attributed(owners);
    if ("roots/list".equals(request.method())) {
      if (roots.configured() || target == null || !sessions.get(target).answersRoots) {
        out.toChild(JsonRpcMessage.success(request.id(), roots.listResult()));
        return;
      }
      // the one call that can have caused it is a 2026-07-28 request that declared its roots:
      // they are that request's context, handed over for its own call only
      asked.put(SessionRouting.idKey(request.id()), new Asked(target, request.id()));
      out.toSession(target, request);
      return;
    }
    if (target == null) {
      log.warn(
          "server request refused key={} method={} reason=cannot attribute it to one client session"
              + " ({} sessions with requests in flight)",
          key,
          request.method(),
          owners.size());
      out.toChild(
          JsonRpcMessage.failure(
              request.id(),
              new JsonRpcError(
                  JsonRpcError.INTERNAL_ERROR,
                  "cannot attribute "
                      + request.method()
                      + " to one client session: requests of several sessions, or of none,"
                      + " are in flight at this shared server (set interactive = \"serialize\" or share_process = false"
                      + " for its key)")));
      return;
    }
    String capability = CAPABILITY_FOR_METHOD.get(request.method());
    if (capability != null && !sessions.get(target).capabilities.has(capability)) {
      out.toChild(
          JsonRpcMessage.failure(
              request.id(),
              new JsonRpcError(
                  JsonRpcError.METHOD_NOT_FOUND,
                  "the client of this session did not declare the '"
                      + capability
                      + "' capability")));
      return;
    }
    asked.put(SessionRouting.idKey(request.id()), new Asked(target, request.id()));
    out.toSession(target, request);
  }

  /**
   * The one session the child can be working for, or null (its owner may be the router, or gone).
   */
  private String attributed(Set<String> owners) {
    Set<String> candidates = owners;
    if (!parked.isEmpty()) {
      candidates = new HashSet<>(owners);
      candidates.removeAll(parked);
    }
    if (candidates.size() != 1) {
      return null;
    }
    String owner = candidates.iterator().next();
    return sessions.containsKey(owner) ? owner : null;
  }

  /**
   * Sessions whose calls wait for their client's input: see {@link SessionRouting#sessionParked}.
   */
  private final Set<String> parked = new HashSet<>();

  boolean isParked(String sessionId) {
    return parked.contains(sessionId);
  }

  void parked(String sessionId, boolean isParked) {
    if (isParked) {
      parked.add(sessionId);
    } else {
      parked.remove(sessionId);
    }
  }

  /** A session's answer: to the child if the request was asked of that session, else dropped. */
  Outcome reply(String sessionId, JsonRpcMessage.Response response, Recipients out) {
    String idKey = SessionRouting.idKey(response.id());
    Asked request = asked.get(idKey);
    if (request == null || !request.sessionId().equals(sessionId)) {
      return Outcome.ACCEPTED; // not asked of this session: dropping it keeps sessions apart
    }
    if (!out.toChild(response)) {
      return Outcome.CHILD_BUSY;
    }
    asked.remove(idKey);
    return Outcome.ACCEPTED;
  }

  /**
   * The child's {@code notifications/cancelled} of one of its requests; false when no session was
   * asked it.
   */
  boolean cancelled(JsonRpcMessage.Notification notification, Recipients out) {
    JsonNode requestId =
        notification.params() == null ? null : notification.params().get("requestId");
    Asked request = requestId == null ? null : asked.remove(SessionRouting.idKey(requestId));
    if (request == null) {
      return false;
    }
    out.toSession(request.sessionId(), notification);
    return true;
  }

  /**
   * What the closed session was asked and did not answer is failed, so the child does not wait for
   * it.
   */
  void sessionClosed(String sessionId, Recipients out) {
    for (Iterator<Asked> it = asked.values().iterator(); it.hasNext(); ) {
      Asked request = it.next();
      if (request.sessionId().equals(sessionId)) {
        it.remove();
        out.toChild(
            JsonRpcMessage.failure(
                request.id(),
                new JsonRpcError(
                    JsonRpcError.INTERNAL_ERROR, "the client session closed before answering")));
      }
    }
  }
}
