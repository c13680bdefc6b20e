package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Scheduler;
import akka.actor.typed.javadsl.AskPattern;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which server actor holds each open session, so that a POSTed message goes from its HTTP route
 * straight to that actor. Routing every message through the registry's mailbox cost a thread
 * hand-off per message and made the registry a point every session of every key queues behind.
 * Written only by the {@link ServerRegistry} (alongside its own index, before a session id is ever
 * given to a client); read by anyone. A session that has just ended may still be listed: its server
 * then answers {@link ServerInstance.SessionNotFound} itself.
 */
public final class SessionDirectory {

  private final ConcurrentHashMap<String, ActorRef<ServerInstance.Command>> servers = new ConcurrentHashMap<>();

  public void put(String sessionId, ActorRef<ServerInstance.Command> server) {
    servers.put(sessionId, server);
  }

  void remove(String sessionId) {
    servers.remove(sessionId);
  }

  /** Hands a client's message to the server actor of its session. */
  public CompletionStage<ServerInstance.DeliverReply> deliver(String sessionId, JsonRpcMessage message, Duration timeout,
      Scheduler scheduler) {
    ActorRef<ServerInstance.Command> server = servers.get(sessionId);
    if (server == null) {
      return CompletableFuture.completedFuture(new ServerInstance.SessionNotFound(sessionId));
    }
    return AskPattern.ask(server, replyTo -> new ServerInstance.Deliver(sessionId, message, replyTo), timeout, scheduler);
  }
}
