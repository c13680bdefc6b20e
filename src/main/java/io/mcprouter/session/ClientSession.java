package io.mcprouter.session;

import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import io.mcprouter.jsonrpc.JsonRpcMessage;

/**
 * One connected MCP client. A child of the server actor; owns the outbound stream to its client and
 * stops when the client goes away, when the client cannot keep up, or when told to close.
 */
public final class ClientSession {

  public sealed interface Command {}

  /** A message for the client. */
  public record Send(JsonRpcMessage message) implements Command {}

  /** The server is going away (or the session must end): finish the stream and stop. */
  public record Close(String reason) implements Command {}

  private enum ClientGone implements Command { INSTANCE }

  private ClientSession() {}

  public static Behavior<Command> create(String serverKey, String sessionId, Outbound outbound) {
    return Behaviors.setup(context -> {
      context.pipeToSelf(outbound.terminated(), (done, failure) -> ClientGone.INSTANCE);
      context.getLog().info("session opened key={} session={}", serverKey, sessionId);
      return Behaviors.receive(Command.class)
          .onMessage(Send.class, send -> onSend(context, serverKey, sessionId, outbound, send))
          .onMessage(Close.class, close -> {
            context.getLog().info("session closed key={} session={} reason={}", serverKey, sessionId, close.reason());
            outbound.complete();
            return Behaviors.stopped();
          })
          .onMessageEquals(ClientGone.INSTANCE, () -> {
            context.getLog().info("session closed key={} session={} reason=client disconnected", serverKey, sessionId);
            return Behaviors.stopped();
          })
          .onSignal(PostStop.class, signal -> {
            outbound.complete();
            return Behaviors.same();
          })
          .build();
    });
  }

  private static Behavior<Command> onSend(
      ActorContext<Command> context, String serverKey, String sessionId, Outbound outbound, Send send) {
    switch (outbound.offer(send.message())) {
      case ENQUEUED:
        return Behaviors.same();
      case OVERFLOW:
        context.getLog().warn("session closed key={} session={} reason=client not reading, outbound buffer full ({})",
            serverKey, sessionId, outbound.describeBounds());
        return Behaviors.stopped();
      default:
        context.getLog().info("session closed key={} session={} reason=client disconnected", serverKey, sessionId);
        return Behaviors.stopped();
    }
  }
}
