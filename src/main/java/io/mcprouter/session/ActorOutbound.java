package io.mcprouter.session;

import akka.Done;
import akka.actor.typed.ActorRef;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.SessionEnd;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The end of a session held by an actor rather than an HTTP stream (a REST call, a 2026-07-28
 * request): what the instance routes to the session reaches the actor as a message. Bounded by the
 * messages offered and not yet handled, so a child flooding notifications cannot grow the actor's
 * mailbox; the actor calls {@link #taken} for each it handles.
 */
public final class ActorOutbound<C> implements Outbound {

  private final ActorRef<C> actor;
  private final Function<JsonRpcMessage, C> wrap;
  private final int maxUnhandled;
  private final String holder;
  private final CompletableFuture<Done> terminated = new CompletableFuture<>();
  private final AtomicInteger unhandled = new AtomicInteger();

  /** {@code holder}: who holds it, for the log line that explains an overflow. */
  public ActorOutbound(
      ActorRef<C> actor, Function<JsonRpcMessage, C> wrap, int maxUnhandled, String holder) {
    this.actor = actor;
    this.wrap = wrap;
    this.maxUnhandled = maxUnhandled;
    this.holder = holder;
  }

  @Override
  public OfferResult offer(JsonRpcMessage message) {
    if (terminated.isDone()) {
      return OfferResult.CLOSED;
    }
    if (unhandled.incrementAndGet() > maxUnhandled) {
      unhandled.decrementAndGet();
      return OfferResult.OVERFLOW;
    }
    actor.tell(wrap.apply(message));
    return OfferResult.ENQUEUED;
  }

  /** The actor has handled one message it was offered. */
  public void taken() {
    unhandled.decrementAndGet();
  }

  @Override
  public void complete() {
    end();
  }

  public void end() {
    terminated.complete(Done.getInstance());
  }

  /** Its holder ends it when the call or request it served is over: the client's own end. */
  @Override
  public Optional<SessionEnd> endedAs() {
    return Optional.of(SessionEnd.CLIENT_CLOSED);
  }

  @Override
  public CompletionStage<Done> terminated() {
    return terminated;
  }

  @Override
  public String describeBounds() {
    return maxUnhandled + " messages not yet handled by " + holder;
  }
}
