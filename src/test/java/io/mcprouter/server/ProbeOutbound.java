package io.mcprouter.server;

import akka.Done;
import akka.actor.typed.ActorRef;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.Outbound;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A client's stream for actor tests: what the session offers goes to {@code messages}, its end to
 * {@code ends} ("complete" or "abort"), so a test awaits both with probes rather than by polling.
 */
final class ProbeOutbound implements Outbound {

  private final ActorRef<JsonRpcMessage> messages;
  private final ActorRef<String> ends;
  private final CompletableFuture<Done> terminated = new CompletableFuture<>();

  ProbeOutbound(ActorRef<JsonRpcMessage> messages, ActorRef<String> ends) {
    this.messages = messages;
    this.ends = ends;
  }

  @Override
  public OfferResult offer(JsonRpcMessage message) {
    if (terminated.isDone()) {
      return OfferResult.CLOSED;
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
