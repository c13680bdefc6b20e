package io.mcprouter.session;

import akka.Done;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.SessionEnd;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The bounded stream towards one client's HTTP connection, whatever the transport. The server
 * instance offers to it directly, on its own thread, not through the session's {@link
 * ClientSession}: a hop through that actor per message would cost a thread hand-off on the hottest
 * path. The {@link ClientSession} ends it (complete, abort) and watches its connections; the
 * registry completes it to evict a session. Implementations are thread-safe.
 */
public interface Outbound {

  enum OfferResult {
    ENQUEUED,
    /** The client is not reading fast enough: a bound on messages or bytes was reached. */
    OVERFLOW,
    /** The client has gone. */
    CLOSED
  }

  OfferResult offer(JsonRpcMessage message);

  /** Ends the client's stream after what was already offered. */
  void complete();

  /**
   * Ends the client's stream now, dropping what was not sent: for a client that is not reading,
   * which would otherwise keep those bytes as long as its connection stays open.
   */
  default void abort() {
    complete();
  }

  /**
   * Why the stream ended, when the router ended it (the output budget), rather than the client or
   * the session.
   */
  default Optional<String> endReason() {
    return Optional.empty();
  }

  /**
   * Ends the client's stream after what was already offered, for {@code why}: a session whose actor
   * has not started yet (evicted at a limit just after it opened) learns from {@link #endedAs} why
   * it ended.
   */
  default void complete(SessionEnd why) {
    complete();
  }

  /**
   * Why the stream ended, when someone other than its connection ended it: the client itself (a
   * Streamable DELETE, the end of the REST call or 2026-07-28 request that held it), the output
   * budget, or the router through {@link #complete(SessionEnd)}. Empty: its connection went away.
   */
  default Optional<SessionEnd> endedAs() {
    return Optional.empty();
  }

  /** Completes when the client's stream has ended, for whatever reason (disconnect included). */
  CompletionStage<Done> terminated();

  /** A short description of the bounds, for the log line that explains an overflow. */
  String describeBounds();

  /**
   * The connections of a session that outlives them (Streamable HTTP). {@code connected}: a GET
   * stream, a POST's stream or JSON answer is open, or a request is waiting for its answer. {@code
   * getStreamClosed}: the session held its standalone GET stream and that stream has ended.
   */
  record Connections(boolean connected, boolean getStreamClosed) {}

  /**
   * The watcher is told the current state at once and then every change, from whichever thread made
   * it: keep it to a {@code tell}. A transport whose session is its connection never calls it.
   */
  default void watchConnections(Consumer<Connections> watcher) {}

  /**
   * Since when ({@link System#nanoTime}) no connection has been open; empty while one is, and
   * always for a transport whose session is its connection. Such a session is the cheapest to end.
   */
  default OptionalLong unconnectedSince() {
    return OptionalLong.empty();
  }
}
