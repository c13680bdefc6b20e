package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.Outbound;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a transport opens a session: one ask to the registry, and the outbound ended whenever no
 * client will use it (the ask gave up, so the client got a 504, or the session was refused), so
 * that it releases its place in the limits, its actor and any child started for it.
 */
public final class SessionOpening {

  private static final Logger log = LoggerFactory.getLogger(SessionOpening.class);

  private SessionOpening() {}

  /** Why a session was not opened: the HTTP status and the JSON-RPC error for the client. */
  public record Refusal(int httpStatus, JsonRpcError error) {}

  public static CompletionStage<ServerInstance.OpenSessionReply> open(
      ActorRef<ServerRegistry.Command> registry,
      String key,
      Outbound outbound,
      Optional<JsonRpcMessage> first,
      SessionDirectory.Transport transport,
      Optional<String> owner,
      Duration askTimeout,
      ActorSystem<?> system) {
    CompletionStage<ServerInstance.OpenSessionReply> reply =
        AskPattern.ask(
            registry,
            replyTo ->
                new ServerRegistry.OpenSession(key, outbound, first, transport, owner, replyTo),
            askTimeout,
            system.scheduler());
    // an ask's future is Scala's: without an executor, a new thread per call on 2 cores
    reply.whenCompleteAsync(
        (opened, failure) -> {
          if (opened instanceof ServerInstance.SessionOpened session) {
            owner.ifPresent(
                accessKey ->
                    log.info(
                        "session authorized key={} session={} access_key={} transport={}",
                        key,
                        session.sessionId().substring(0, 8),
                        accessKey,
                        transport.name().toLowerCase(Locale.ROOT)));
          } else {
            outbound.complete();
          }
        },
        system.executionContext());
    return reply;
  }

  /** The refusal to answer for a reply that did not open the session. */
  public static Refusal refusal(ServerInstance.OpenSessionReply reply) {
    if (reply instanceof ServerInstance.UnknownServer unknown) {
      return new Refusal(
          404,
          new JsonRpcError(
              JsonRpcError.UNKNOWN_SERVER, "unknown server key '" + unknown.key() + "'"));
    }
    return new Refusal(
        503,
        new JsonRpcError(JsonRpcError.UNAVAILABLE, ((ServerInstance.OpenRejected) reply).reason()));
  }
}
