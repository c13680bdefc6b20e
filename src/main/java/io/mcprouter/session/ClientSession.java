package io.mcprouter.session;

import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected MCP client. A child of the server actor; owns the lifecycle of the outbound stream to
 * its client and stops when the client goes away, when the client cannot keep up, or when told to
 * close. The server actor offers messages to the {@link Outbound} itself: a hop through this actor
 * per message would cost a thread hand-off on the hottest path, for no decision it needs to make.
 */
public final class ClientSession {

  public sealed interface Command {}

  /** The client stopped reading and its outbound buffer is full: the session ends. */
  public enum Overflowed implements Command { INSTANCE }

  /** The server is going away (or the session must end): finish the stream and stop. */
  public record Close(String reason) implements Command {}

  private enum ClientGone implements Command { INSTANCE }

  // one logger for all sessions: an actor's own logger keeps its path as a string per session, and
  // every line names the key and session anyway
  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

  private ClientSession() {}

  public static Behavior<Command> create(String serverKey, String fullSessionId, Outbound outbound) {
    // a session id is a credential for its session: logs name a prefix
    String sessionId = fullSessionId.substring(0, Math.min(8, fullSessionId.length()));
    return Behaviors.setup(context -> {
      context.pipeToSelf(outbound.terminated(), (done, failure) -> ClientGone.INSTANCE);
      log.info("session opened key={} session={}", serverKey, sessionId);
      return Behaviors.receive(Command.class)
          .onMessageEquals(Overflowed.INSTANCE, () -> {
            log.warn("session closed key={} session={} reason=client not reading, outbound buffer full ({})",
                serverKey, sessionId, outbound.describeBounds());
            outbound.abort(); // what it holds is what it did not read: kept, it would stay held while the connection lasts
            return Behaviors.stopped();
          })
          .onMessage(Close.class, close -> {
            log.info("session closed key={} session={} reason={}", serverKey, sessionId, close.reason());
            outbound.complete();
            return Behaviors.stopped();
          })
          .onMessageEquals(ClientGone.INSTANCE, () -> {
            outbound.endReason().ifPresentOrElse(
                reason -> log.warn("session closed key={} session={} reason={}", serverKey, sessionId, reason),
                () -> log.info("session closed key={} session={} reason=client disconnected", serverKey, sessionId));
            return Behaviors.stopped();
          })
          .onSignal(PostStop.class, signal -> {
            outbound.complete();
            return Behaviors.same();
          })
          .build();
    });
  }
}
