package io.mcprouter.transport.streamable;

import akka.Done;
import akka.actor.typed.ActorRef;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.Outbound;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** A modern request's end of its session: what the instance routes to it reaches its actor. */
final class ModernOutbound implements Outbound {

  /** Offered, not yet handled: a child flooding notifications must not grow the call's mailbox. */
  private static final int MAX_UNHANDLED = 1024;

  private final ActorRef<ModernCall.Command> call;
  private final CompletableFuture<Done> terminated = new CompletableFuture<>();
  private final AtomicInteger unhandled = new AtomicInteger();

  ModernOutbound(ActorRef<ModernCall.Command> call) {
    this.call = call;
  }

  @Override
  public OfferResult offer(JsonRpcMessage message) {
    if (terminated.isDone()) {
      return OfferResult.CLOSED;
    }
    if (unhandled.incrementAndGet() > MAX_UNHANDLED) {
      unhandled.decrementAndGet();
      return OfferResult.OVERFLOW;
    }
    call.tell(new ModernCall.FromServer(message));
    return OfferResult.ENQUEUED;
  }

  void taken() {
    unhandled.decrementAndGet();
  }

  @Override
  public void complete() {
    end();
  }

  void end() {
    terminated.complete(Done.getInstance());
  }

  @Override
  public CompletionStage<Done> terminated() {
    return terminated;
  }

  @Override
  public String describeBounds() {
    return MAX_UNHANDLED + " messages not yet handled by the modern request";
  }
}
