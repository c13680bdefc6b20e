package io.mcprouter.session;

import akka.Done;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The bounded stream towards one client's HTTP connection, whatever the transport. Only its
 * {@link ClientSession} offers to it.
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
   * Ends the client's stream now, dropping what was not sent: for a client that is not reading, which
   * would otherwise keep those bytes as long as its connection stays open.
   */
  default void abort() {
    complete();
  }

  /** Why the stream ended, when the router ended it (the output budget), rather than the client or the session. */
  default Optional<String> endReason() {
    return Optional.empty();
  }

  /** Completes when the client's stream has ended, for whatever reason (disconnect included). */
  CompletionStage<Done> terminated();

  /** A short description of the bounds, for the log line that explains an overflow. */
  String describeBounds();
}
