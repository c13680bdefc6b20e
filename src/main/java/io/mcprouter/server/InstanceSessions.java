package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.CallSite;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.session.ClientSession;
import java.util.HashMap;
import java.util.Map;

/**
 * The client sessions of one server instance (its child actors) and where each stands in the MCP
 * handshake (basic/lifecycle: the client's initialize, its answer, then notifications/initialized).
 * Routed messages are handed to a session's outbound here, straight from the instance's thread.
 */
final class InstanceSessions {

  private final Map<String, AttachedSession> sessions = new HashMap<>();
  private final ActorRef<ServerInstance.Lifecycle> lifecycle;

  /**
   * Called when a session's initialize is answered: the child is up, it no longer counts as
   * starting.
   */
  private final Runnable childAnswered;

  InstanceSessions(ActorRef<ServerInstance.Lifecycle> lifecycle, Runnable childAnswered) {
    this.lifecycle = lifecycle;
    this.childAnswered = childAnswered;
  }

  void add(String sessionId, AttachedSession session) {
    sessions.put(sessionId, session);
  }

  void remove(String sessionId) {
    sessions.remove(sessionId);
  }

  /** The session's call site; null when nothing observes or it is gone. */
  CallSite site(String sessionId) {
    AttachedSession session = sessions.get(sessionId);
    return session == null ? null : session.site();
  }

  boolean contains(String sessionId) {
    return sessions.containsKey(sessionId);
  }

  boolean isEmpty() {
    return sessions.isEmpty();
  }

  int size() {
    return sessions.size();
  }

  /**
   * Tells every session its server stopped, with {@code reason}; each flushes what it holds first.
   */
  void closeAll(String reason) {
    sessions
        .values()
        .forEach(
            session -> session.actor().tell(new ClientSession.Close(SessionEnd.STOPPED, reason)));
  }

  /** The same message to every session, routed or not (the router's own notice). */
  void deliverToAll(JsonRpcMessage message) {
    sessions.values().forEach(session -> session.deliver(message));
  }

  /** Notes the client's step in the handshake before its message is routed. */
  void clientSent(String sessionId, JsonRpcMessage message) {
    AttachedSession session = sessions.get(sessionId);
    if (session == null || session.ready()) {
      return;
    }
    if (message instanceof JsonRpcMessage.Request r && "initialize".equals(r.method())) {
      session.initializeSent(r.id());
    } else if (message instanceof JsonRpcMessage.Notification n
        && "notifications/initialized".equals(n.method())) {
      session.initializedReceived();
      readyIfComplete(sessionId, session);
    }
  }

  /**
   * An initialize that was refused gets no answer from the child: the client owes the next step
   * again.
   */
  void notTaken(String sessionId, JsonRpcMessage message) {
    AttachedSession session = sessions.get(sessionId);
    if (session != null && message instanceof JsonRpcMessage.Request r) {
      session.initializeNotTaken(r.id());
    }
  }

  /** A routed message for a session; one that has just ended gets nothing. */
  void deliver(String sessionId, JsonRpcMessage message) {
    AttachedSession session = sessions.get(sessionId);
    if (session != null) {
      session.deliver(message);
      if (!session.ready() && session.answersInitialize(message)) {
        childAnswered.run();
        readyIfComplete(sessionId, session);
      }
    }
  }

  private void readyIfComplete(String sessionId, AttachedSession session) {
    if (session.becameReady()) {
      lifecycle.tell(new ServerInstance.SessionReady(sessionId));
    }
  }
}
