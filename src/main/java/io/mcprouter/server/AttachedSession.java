package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.CallSite;
import io.mcprouter.routing.SessionRouting;
import io.mcprouter.session.ClientSession;
import io.mcprouter.session.Outbound;

/**
 * A session child and the stream to its client. Messages go straight to the outbound (thread-safe)
 * rather than through the child's mailbox; the child is told only when the client cannot keep up.
 */
public final class AttachedSession {
  private final ActorRef<ClientSession.Command> actor;
  private final Outbound outbound;

  /** What its requests are observed with; null when nothing observes. */
  private final CallSite site;

  private boolean overflowed;

  /** Handshake state; once ready, delivering costs one boolean test more than before. */
  private boolean ready;

  private String initializeId;
  private boolean answered;
  private boolean initializedReceived;

  AttachedSession(ActorRef<ClientSession.Command> actor, Outbound outbound, CallSite site) {
    this.actor = actor;
    this.outbound = outbound;
    this.site = site;
  }

  AttachedSession(ActorRef<ClientSession.Command> actor, Outbound outbound) {
    this(actor, outbound, null);
  }

  CallSite site() {
    return site;
  }

  ActorRef<ClientSession.Command> actor() {
    return actor;
  }

  boolean ready() {
    return ready;
  }

  void initializedReceived() {
    initializedReceived = true;
  }

  /**
   * An initialize that was refused gets no answer from the child: the client owes the next step
   * again.
   */
  void initializeNotTaken(JsonNode id) {
    if (isInitialize(id)) {
      initializeId = null;
      actor.tell(ClientSession.Handshake.INITIALIZE_ANSWERED);
    }
  }

  /** True once, when the handshake has just completed (MCP basic/lifecycle). */
  boolean becameReady() {
    if (answered && initializedReceived && !ready) {
      ready = true;
      actor.tell(ClientSession.Handshake.COMPLETED);
      return true;
    }
    return false;
  }

  void initializeSent(JsonNode id) {
    initializeId = SessionRouting.idKey(id);
    actor.tell(ClientSession.Handshake.INITIALIZE_SENT);
  }

  boolean isInitialize(JsonNode id) {
    return initializeId != null && initializeId.equals(SessionRouting.idKey(id));
  }

  /** Whether this message answers the session's initialize. */
  boolean answersInitialize(JsonRpcMessage message) {
    if (!(message instanceof JsonRpcMessage.Response response) || !isInitialize(response.id())) {
      return false;
    }
    initializeId = null;
    answered |= !response.isError();
    actor.tell(ClientSession.Handshake.INITIALIZE_ANSWERED);
    return true;
  }

  void deliver(JsonRpcMessage message) {
    // after an overflow the session is ending: nothing more is queued behind the unread buffer
    if (!overflowed && outbound.offer(message) == Outbound.OfferResult.OVERFLOW) {
      overflowed = true;
      actor.tell(ClientSession.Overflowed.INSTANCE);
    }
  }
}
