package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Scheduler;
import akka.actor.typed.javadsl.AskPattern;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.CallTransport;
import io.mcprouter.session.ClientSession;
import io.mcprouter.session.Outbound;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The one index of open sessions: for each session id, what the registry decides admission and
 * eviction from and what the HTTP routes need to serve it. A POSTed message goes from its route
 * straight to the session's server actor: routing every message through the registry's mailbox cost
 * a thread hand-off per message and made the registry a point every session of every key queues
 * behind.
 *
 * <p>Written only by the {@link ServerRegistry} (an entry is in before its id is ever given to a
 * client), read by anyone without an ask. A session that has just ended may still be listed: its
 * server then answers {@link ServerInstance.SessionNotFound} itself.
 */
public final class SessionDirectory {

  /** Where a session was opened: each transport serves only its own sessions. */
  public enum Transport {
    SSE,
    STREAMABLE,
    /** A REST call's session: no client may address it. */
    API,
    /**
     * A 2026-07-28 request's session, which lives as long as the request: no client addresses it.
     */
    MODERN;

    /** As the observation labels it. */
    public CallTransport observed() {
      return switch (this) {
        case SSE -> CallTransport.SSE;
        case STREAMABLE -> CallTransport.STREAMABLE;
        case API -> CallTransport.REST;
        case MODERN -> CallTransport.MODERN;
      };
    }
  }

  /**
   * {@code owner}: with access keys, the credential the session belongs to; only it may use the
   * session. {@code outbound}: none for a REST call. {@code handshakeCompleted}: the session
   * answered initialize and got notifications/initialized (such a session is evicted last). {@code
   * session}: its actor once started, null before.
   */
  public record Entry(
      String key,
      ActorRef<ServerInstance.Command> server,
      Instant openedAt,
      Transport transport,
      Optional<String> owner,
      Outbound outbound,
      boolean handshakeCompleted,
      ActorRef<ClientSession.Command> session) {

    public Entry {
      Objects.requireNonNull(key);
      Objects.requireNonNull(server);
      Objects.requireNonNull(transport);
      Objects.requireNonNull(owner);
    }

    /** A session just admitted: not started, no handshake yet. */
    public static Entry opened(
        String key,
        ActorRef<ServerInstance.Command> server,
        Transport transport,
        Optional<String> owner,
        Outbound outbound) {
      return new Entry(key, server, Instant.now(), transport, owner, outbound, false, null);
    }

    Entry started(ActorRef<ClientSession.Command> actor) {
      return new Entry(
          key, server, openedAt, transport, owner, outbound, handshakeCompleted, actor);
    }

    Entry withHandshakeCompleted() {
      return new Entry(key, server, openedAt, transport, owner, outbound, true, session);
    }

    /** Whether the client's stream has ended; a REST call's session has none. */
    public boolean streamEnded() {
      return outbound == null || outbound.terminated().toCompletableFuture().isDone();
    }

    /** Sends the session elsewhere (a test standing an unresponsive actor where its server was). */
    public Entry withServer(ActorRef<ServerInstance.Command> other) {
      return new Entry(
          key, other, openedAt, transport, owner, outbound, handshakeCompleted, session);
    }
  }

  private final ConcurrentHashMap<String, Entry> sessions = new ConcurrentHashMap<>();

  /** Sessions per key, so the per-key limit is not a scan of every session on every open. */
  private final ConcurrentHashMap<String, Integer> perKey = new ConcurrentHashMap<>();

  /** For the registry (and tests standing in for it); replacing an entry keeps the counts. */
  public void put(String sessionId, Entry entry) {
    Entry previous = sessions.put(sessionId, entry);
    if (previous != null) {
      uncount(previous.key());
    }
    perKey.merge(entry.key(), 1, Integer::sum);
  }

  /** The entry that was removed, if there was one. */
  Optional<Entry> remove(String sessionId) {
    Entry removed = sessions.remove(sessionId);
    if (removed != null) {
      uncount(removed.key());
    }
    return Optional.ofNullable(removed);
  }

  void started(String sessionId, ActorRef<ClientSession.Command> session) {
    sessions.computeIfPresent(sessionId, (id, entry) -> entry.started(session));
  }

  void handshakeCompleted(String sessionId) {
    sessions.computeIfPresent(sessionId, (id, entry) -> entry.withHandshakeCompleted());
  }

  /** Forgets every session of a server actor that has stopped. */
  void removeAllOf(ActorRef<ServerInstance.Command> server) {
    sessions.forEach(
        (id, entry) -> {
          if (entry.server().equals(server)) {
            remove(id);
          }
        });
  }

  /** Every open session's entry, as the directory holds it now (a scrape counts them). */
  public void forEachEntry(Consumer<Entry> visit) {
    sessions.values().forEach(visit);
  }

  public Optional<Entry> lookup(String sessionId) {
    return Optional.ofNullable(sessions.get(sessionId));
  }

  int size() {
    return sessions.size();
  }

  int sessionsOf(String key) {
    return perKey.getOrDefault(key, 0);
  }

  void forEach(BiConsumer<String, Entry> action) {
    sessions.forEach(action);
  }

  Map<String, Entry> snapshot() {
    return Map.copyOf(sessions);
  }

  private void uncount(String key) {
    perKey.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Hands a client's message to the server actor of its session. */
  public CompletionStage<ServerInstance.DeliverReply> deliver(
      String sessionId, JsonRpcMessage message, Duration timeout, Scheduler scheduler) {
    Entry entry = sessions.get(sessionId);
    if (entry == null) {
      return CompletableFuture.completedFuture(new ServerInstance.SessionNotFound(sessionId));
    }
    return AskPattern.ask(
        entry.server(),
        replyTo -> new ServerInstance.Deliver(sessionId, message, replyTo),
        timeout,
        scheduler);
  }
}
