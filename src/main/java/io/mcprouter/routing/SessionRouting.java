package io.mcprouter.routing;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.CallSite;
import java.util.List;

/**
 * Decides where every message between the client sessions of one server and its child goes. Pure
 * logic (no Akka): the server actor owns one instance and carries out what it says through its
 * {@link Recipients}. {@link Multiplexer} serves a shared child, {@link Passthrough} a per-session
 * child.
 */
public interface SessionRouting {

  /**
   * Where routed messages are delivered: the child's stdin and the sessions; implemented by the
   * server actor and by tests.
   */
  interface Recipients {
    /** Writes to the child's stdin; false when the stdin buffer refused it. */
    boolean toChild(JsonRpcMessage message);

    void toSession(String sessionId, JsonRpcMessage message);
  }

  enum Outcome {
    ACCEPTED,
    /** The child's stdin buffer is full: nothing was recorded, the caller should retry later. */
    CHILD_BUSY
  }

  void sessionOpened(String sessionId);

  /**
   * A session opened; {@code site} is what its requests are observed with (null when nothing
   * observes), kept with the session so that a request costs no lookup for it.
   */
  default void sessionOpened(String sessionId, CallSite site) {
    sessionOpened(sessionId);
  }

  Outcome fromClient(String sessionId, JsonRpcMessage message, Recipients out);

  /**
   * Returns false when the message had nowhere to go (an unknown response id, say), for logging.
   */
  boolean fromChild(JsonRpcMessage message, Recipients out);

  void sessionClosed(String sessionId, Recipients out);

  /** A new child replaced one that crashed (after everything in flight was failed). */
  default void childReplaced(Recipients out) {}

  /**
   * The session's call is parked waiting for its client's input (a 2026-07-28 multi round-trip
   * request): its call cannot be the cause of a new server-to-client request, so it does not stand
   * in the way of attributing one to the call that can.
   */
  default void sessionParked(String sessionId, boolean parked, Recipients out) {}

  /**
   * True while a replaced child is being initialized again: clients' messages must wait for that.
   */
  default boolean replaying() {
    return false;
  }

  /**
   * A request the child has not answered yet: its id as the child knows it, and when it was sent.
   * {@code waitsForClient}: its call is parked for its client's input, which may take as long as
   * {@code mcprouter.mrtr.park-timeout}; the request timeout counts again from its resumption.
   */
  record InFlight(JsonNode childSideId, String method, long sentAtNanos, boolean waitsForClient) {

    public InFlight(JsonNode childSideId, String method, long sentAtNanos) {
      this(childSideId, method, sentAtNanos, false);
    }
  }

  /**
   * The requests the child has not answered yet. Failing one is routing a synthetic error response
   * with its id through {@link #fromChild}: one mechanism for answers, crashes, timeouts and
   * over-long lines alike.
   */
  List<InFlight> inFlightRequests();

  default List<JsonNode> inFlightIds() {
    return inFlightRequests().stream().map(InFlight::childSideId).toList();
  }

  /** Requests of one session the child has not answered yet. */
  int inFlightFor(String sessionId);

  default int inFlight() {
    return inFlightRequests().size();
  }

  /** A map key for a JSON-RPC id that keeps 1 and "1" apart. */
  static String idKey(JsonNode id) {
    return id.isTextual() ? "s:" + id.asText() : "n:" + id.asText();
  }
}
