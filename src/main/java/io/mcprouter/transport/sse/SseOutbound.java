package io.mcprouter.transport.sse;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.mcprouter.http.SseEncoding;
import io.mcprouter.http.SseEventQueue;
import io.mcprouter.http.connection.ClientConnection;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.session.Outbound;
import io.mcprouter.session.OutputBudget;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A legacy SSE session's stream: {@code message} events in a queue bounded in count and bytes, so a
 * client that stops reading costs at most the configured memory before it is disconnected, and what
 * it holds counts in the router's {@link OutputBudget}.
 */
public final class SseOutbound implements Outbound {

  private final SseEventQueue queue;
  private final int maxMessages;
  private final long maxBytes;
  private volatile String evicted;
  private volatile SessionEnd endedAs;

  public SseOutbound(
      ActorSystem<?> system,
      int maxMessages,
      long maxBytes,
      Duration keepAlive,
      OutputBudget budget) {
    OutputBudget.Account account = budget.open(this::evict);
    this.queue = new SseEventQueue(system, maxMessages, maxBytes, keepAlive, account);
    queue.terminated().thenRun(account::done);
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  /**
   * The session's events for its HTTP response, the {@code endpoint} event first (whatever the
   * server may already have offered); run it once.
   */
  public Source<ByteString, NotUsed> events(String endpoint) {
    queue.prepend(SseEncoding.event("endpoint", endpoint));
    return queue.source();
  }

  /** The session ends the moment its client's connection goes. */
  public void endWhenClosed(ClientConnection connection) {
    queue.endWhenClosed(connection);
  }

  @Override
  public OfferResult offer(JsonRpcMessage message) {
    return switch (queue.offer(
        SseEncoding.jsonEvent("message", null, JsonRpcCodec.encodeBytes(message)))) {
      case ENQUEUED -> OfferResult.ENQUEUED;
      case FULL -> OfferResult.OVERFLOW;
      case CLOSED -> OfferResult.CLOSED;
    };
  }

  @Override
  public void complete() {
    queue.complete();
  }

  @Override
  public void abort() {
    queue.abort();
  }

  @Override
  public Optional<String> endReason() {
    return Optional.ofNullable(evicted);
  }

  @Override
  public void complete(SessionEnd why) {
    endedAs = why; // before terminated completes: whoever sees that sees why
    complete();
  }

  @Override
  public Optional<SessionEnd> endedAs() {
    return Optional.ofNullable(endedAs);
  }

  private void evict(String reason) {
    // before the abort, which completes terminated(): whoever sees that sees the reason
    evicted = reason;
    endedAs = SessionEnd.OVERFLOW;
    queue.abort();
  }

  @Override
  public CompletionStage<Done> terminated() {
    return queue.terminated();
  }

  @Override
  public String describeBounds() {
    return maxMessages + " messages / " + maxBytes + " bytes";
  }
}
