package io.mcprouter.server;

import akka.Done;
import akka.actor.typed.ActorRef;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.Outbound;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client's stream for actor tests: what the session offers goes to {@code messages}, its end to
 * {@code ends} ("complete" or "abort"), so a test awaits both with probes rather than by polling.
 * With a {@code capacity} it refuses what comes after that many messages, as a client that stopped
 * reading.
 */
final class ProbeOutbound implements Outbound {

  private final ActorRef<JsonRpcMessage> messages;
  private final ActorRef<String> ends;
  private final CompletableFuture<Done> terminated = new CompletableFuture<>();
  private final AtomicInteger capacity;

  ProbeOutbound(ActorRef<JsonRpcMessage> messages, ActorRef<String> ends) {
    this(messages, ends, Integer.MAX_VALUE);
  }

  ProbeOutbound(ActorRef<JsonRpcMessage> messages, ActorRef<String> ends, int capacity) {
    this.messages = messages;
    this.ends = ends;
    this.capacity = new AtomicInteger(capacity);
  }

  @Override
  public OfferResult offer(JsonRpcMessage message) {
    if (terminated.isDone()) {
      return OfferResult.CLOSED;
    }
    if (capacity.getAndDecrement() <= 0) {
      return OfferResult.OVERFLOW;
    }
    messages.tell(message);
    return OfferResult.ENQUEUED;
  }

  @Override
  public void complete() {
    end("complete");
  }

  @Override
  public void abort() {
    end("abort");
  }

  private void end(String how) {
    // a session's PostStop completes again after its close: one end is reported
    if (terminated.complete(Done.getInstance())) {
      ends.tell(how);
    }
  }

  @Override
  public CompletionStage<Done> terminated() {
    return terminated;
  }

  @Override
  public String describeBounds() {
    return "a test probe";
  }
}
