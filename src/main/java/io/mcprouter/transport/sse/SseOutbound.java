package io.mcprouter.transport.sse;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.japi.Pair;
import akka.stream.BoundedSourceQueue;
import akka.stream.QueueOfferResult;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.Outbound;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A session's SSE stream: a bounded queue of {@code message} events, bounded in count by the queue
 * and in bytes by a counter that the consuming side decrements, so a client that stops reading costs
 * at most the configured memory before it is disconnected.
 */
public final class SseOutbound implements Outbound {

  private final BoundedSourceQueue<ByteString> queue;
  private final Source<ByteString, NotUsed> events;
  private final CompletionStage<Done> terminated;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean completed = new AtomicBoolean();
  private final int maxMessages;
  private final long maxBytes;

  public SseOutbound(ActorSystem<?> system, int maxMessages, long maxBytes) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    Pair<Pair<BoundedSourceQueue<ByteString>, CompletionStage<Done>>, Source<ByteString, NotUsed>> materialized =
        Source.<ByteString>queue(maxMessages)
            .map(event -> {
              queuedBytes.addAndGet(-event.size());
              return event;
            })
            .watchTermination(Keep.both())
            .preMaterialize(system);
    this.queue = materialized.first().first();
    this.terminated = materialized.first().second();
    this.events = materialized.second();
  }

  /** The encoded {@code message} events, for the HTTP response; run it once. */
  public Source<ByteString, NotUsed> events() {
    return events;
  }

  @Override
  public OfferResult offer(JsonRpcMessage message) {
    ByteString event = SseEncoding.jsonEvent("message", null, JsonRpcCodec.encodeBytes(message));
    // the first message always fits, so one response larger than the byte bound still gets through
    if (queuedBytes.get() > 0 && queuedBytes.get() + event.size() > maxBytes) {
      return OfferResult.OVERFLOW;
    }
    queuedBytes.addAndGet(event.size());
    QueueOfferResult result = queue.offer(event);
    if (result == QueueOfferResult.enqueued()) {
      return OfferResult.ENQUEUED;
    }
    queuedBytes.addAndGet(-event.size());
    return result == QueueOfferResult.dropped() ? OfferResult.OVERFLOW : OfferResult.CLOSED;
  }

  @Override
  public void complete() {
    if (completed.compareAndSet(false, true)) {
      try {
        queue.complete();
      } catch (IllegalStateException alreadyCancelled) {
        // the client went away first: its stream is already over
      }
    }
  }

  @Override
  public CompletionStage<Done> terminated() {
    return terminated;
  }

  @Override
  public String describeBounds() {
    return maxMessages + " messages / " + maxBytes + " bytes";
  }
}
