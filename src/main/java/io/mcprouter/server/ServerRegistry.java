package io.mcprouter.server;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.ClientSession;
import io.mcprouter.session.Outbound;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.jsonrpc.JsonRpcError;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One per JVM: maps server keys to running {@link ServerInstance} actors, starts them on first use,
 * indexes every session by its id, and answers what is running. Routes ask it once; it forwards with
 * the caller's {@code replyTo}.
 */
public final class ServerRegistry extends AbstractBehavior<ServerRegistry.Command> {

  public sealed interface Command {}

  /** Opens a session on {@code key}, starting its server when needed. */
  public record OpenSession(String key, Outbound outbound, Optional<JsonRpcMessage> first,
      ActorRef<ServerInstance.OpenSessionReply> replyTo) implements Command {}

  /** A request made by the router itself (REST API) on the key's shared child, started if needed. */
  public record Call(String key, String method, JsonNode params, Duration timeout,
      ActorRef<ApiCall.CallReply> replyTo) implements Command {}

  public record ListRunning(ActorRef<RunningServers> replyTo) implements Command {}

  public record StopServer(String key, ServerInstance.StopMode mode, ActorRef<StopServerReply> replyTo)
      implements Command {}

  public record ListClients(ActorRef<Clients> replyTo) implements Command {}

  /** Stops every server gracefully (escalating to signals on their timers); answers when all are gone. */
  public record StopAll(ActorRef<Done> replyTo) implements Command {}

  private record FromServer(ServerInstance.Lifecycle event) implements Command {}

  /** Router shutdown is bounded: whatever has not stopped gracefully by now is killed. */
  private enum ForceRemaining implements Command { INSTANCE }

  private record ServerTerminated(ActorRef<ServerInstance.Command> server) implements Command {}

  private record SessionTerminated(String sessionId) implements Command {}

  public record RunningServers(List<ServerInstance.Status> servers) {
    public RunningServers {
      servers = List.copyOf(servers);
    }
  }

  public sealed interface StopServerReply {}

  public record NotRunning(String key) implements StopServerReply {}

  /** One entry per child of the key that was stopped (a per-session key may have several). */
  public record StopReport(String key, List<ServerInstance.Stopped> stopped) implements StopServerReply {
    public StopReport {
      stopped = List.copyOf(stopped);
    }
  }

  public record Clients(List<Client> clients) {
    public Clients {
      clients = List.copyOf(clients);
    }
  }

  public record Client(String sessionId, String key, Instant openedAt) {}

  private record Running(ServerSpec spec) {}

  /** A session as the registry sees it: where it lives, and what makes it the cheapest to evict. */
  private static final class SessionEntry {
    final ActorRef<ServerInstance.Command> server;
    final String key;
    final Instant openedAt;
    final Outbound outbound;
    ActorRef<ClientSession.Command> session;
    boolean initialized;

    SessionEntry(ActorRef<ServerInstance.Command> server, String key, Instant openedAt, Outbound outbound) {
      this.server = server;
      this.key = key;
      this.openedAt = openedAt;
      this.outbound = outbound;
    }

    ActorRef<ServerInstance.Command> server() {
      return server;
    }

    String key() {
      return key;
    }

    Instant openedAt() {
      return openedAt;
    }
  }

  /** A limit a new session would break: its message names the setting; which sessions may make room. */
  /** {@code message} goes to the client; {@code setting}, which an operator would raise, only to the log. */
  private record Limit(String message, String setting, boolean evictAnyKey, boolean evictable) {}

  /** Bound for collecting status answers; a server that cannot answer in this time is left out. */
  private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(3);

  /** {@code directory} is kept up to date with every session this registry opens and sees end. */
  public static Behavior<Command> create(RouterConfig config, RouterSettings settings, SessionDirectory directory) {
    return Behaviors.withTimers(timers -> Behaviors.setup(context -> new ServerRegistry(context, timers, config, settings,
        directory)));
  }

  /** Time kept at the end of the shutdown bound for SIGKILL and the exit to be seen. */
  private static final Duration KILL_MARGIN = Duration.ofSeconds(3);

  private final RouterConfig config;
  private final RouterSettings settings;
  private final ActorRef<ServerInstance.Lifecycle> lifecycleAdapter;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, ActorRef<ServerInstance.Command>> sharedByKey = new HashMap<>();
  private final Map<ActorRef<ServerInstance.Command>, Running> running = new LinkedHashMap<>();
  private final Map<String, SessionEntry> sessionIndex = new HashMap<>();
  private final SessionDirectory directory;
  private final List<ActorRef<Done>> stopAllWaiters = new ArrayList<>();
  private final Map<String, ServerInstance.KeyFailed> failedKeys = new HashMap<>();
  private final Map<String, RestartPolicy> failureHistory = new HashMap<>();
  private long spawned;
  private long calls;
  private final StartPermits permits;

  private final akka.actor.typed.javadsl.TimerScheduler<Command> timers;

  private ServerRegistry(ActorContext<Command> context, akka.actor.typed.javadsl.TimerScheduler<Command> timers,
      RouterConfig config, RouterSettings settings, SessionDirectory directory) {
    super(context);
    this.directory = directory;
    this.timers = timers;
    this.config = config;
    this.settings = settings;
    this.lifecycleAdapter = context.messageAdapter(ServerInstance.Lifecycle.class, FromServer::new);
    this.permits = new StartPermits(settings.limits().maxStartingChildrenPerKey());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(OpenSession.class, this::onOpenSession)
        .onMessage(Call.class, this::onCall)
        .onMessage(ListRunning.class, this::onListRunning)
        .onMessage(StopServer.class, this::onStopServer)
        .onMessage(ListClients.class, this::onListClients)
        .onMessage(StopAll.class, this::onStopAll)
        .onMessageEquals(ForceRemaining.INSTANCE, this::onForceRemaining)
        .onMessage(FromServer.class, this::onFromServer)
        .onMessage(ServerTerminated.class, this::onServerTerminated)
        .onMessage(SessionTerminated.class, this::onSessionTerminated)
        .build();
  }

  private Behavior<Command> onOpenSession(OpenSession open) {
    ServerSpec spec = config.servers().get(open.key());
    if (spec == null) {
      open.replyTo().tell(new ServerInstance.UnknownServer(open.key()));
      return this;
    }
    if (!stopAllWaiters.isEmpty()) {
      open.replyTo().tell(new ServerInstance.OpenRejected("the router is shutting down"));
      return this;
    }
    Optional<ServerInstance.KeyFailed> failed = failure(spec.key());
    if (failed.isPresent()) {
      open.replyTo().tell(new ServerInstance.OpenRejected(failed.get().error().message() + " " + stderrTail(failed.get())));
      return this;
    }
    Optional<Limit> limit = sessionLimitReached(spec);
    while (limit.isPresent() && evictFor(spec, limit.get())) {
      limit = sessionLimitReached(spec);
    }
    if (limit.isPresent()) {
      getContext().getLog().warn("session refused key={} reason={} setting={}", spec.key(), limit.get().message(),
          limit.get().setting());
      open.replyTo().tell(new ServerInstance.OpenRejected(limit.get().message()));
      return this;
    }
    // a Streamable session brings its initialize, so its child starts now; a legacy GET starts none
    boolean startNow = spec.shareProcess() || open.first().isPresent();
    if (!spec.shareProcess() && startNow && !permits.tryAcquire(spec.key())) {
      getContext().getLog().warn("session refused key={} reason={} setting=mcprouter.limits.max-starting-children-per-key",
          spec.key(), permits.refusal(spec.key()));
      open.replyTo().tell(new ServerInstance.OpenRejected(permits.refusal(spec.key())));
      return this;
    }
    ActorRef<ServerInstance.Command> server = spec.shareProcess() ? shared(spec) : spawnServer(spec, startNow);
    String sessionId = newSessionId();
    // counted from now, so a burst of opens cannot overshoot the limits before the sessions start
    sessionIndex.put(sessionId, new SessionEntry(server, spec.key(), Instant.now(), open.outbound()));
    directory.put(sessionId, server);
    server.tell(new ServerInstance.OpenSession(sessionId, open.outbound(), open.first(), open.replyTo()));
    return this;
  }

  /** Which limit a new session of this key would break, if any. */
  private Optional<Limit> sessionLimitReached(ServerSpec spec) {
    RouterSettings.Limits limits = settings.limits();
    if (sessionIndex.size() >= limits.maxSessions()) {
      return Optional.of(new Limit("limit reached: the router holds its maximum of " + limits.maxSessions() + " sessions",
          "mcprouter.limits.max-sessions", true, true));
    }
    long ofKey = sessionIndex.values().stream().filter(e -> e.key().equals(spec.key())).count();
    if (ofKey >= limits.maxSessionsPerKey()) {
      return Optional.of(new Limit("limit reached: server '" + spec.key() + "' has its maximum of "
          + limits.maxSessionsPerKey() + " sessions", "mcprouter.limits.max-sessions-per-key", false, true));
    }
    boolean needsChild = !spec.shareProcess() || !sharedByKey.containsKey(instanceName(spec));
    if (needsChild && running.size() >= limits.maxChildren()) {
      // an evicted session's child takes its grace period to exit: eviction would not make room now
      return Optional.of(new Limit("limit reached: " + limits.maxChildren() + " servers running, the router's maximum",
          "mcprouter.limits.max-children", false, false));
    }
    return Optional.empty();
  }

  /**
   * Makes room by ending one session that has nothing open (a Streamable session between requests):
   * one that never completed the handshake first, then the one unconnected longest. It ends as if
   * its client had sent DELETE. False when no session in the limit's scope can be evicted.
   */
  private boolean evictFor(ServerSpec spec, Limit limit) {
    if (!limit.evictable()) {
      return false;
    }
    String victimId = null;
    SessionEntry victim = null;
    long victimSince = 0;
    for (Map.Entry<String, SessionEntry> e : sessionIndex.entrySet()) {
      SessionEntry entry = e.getValue();
      if (entry.outbound == null || (!limit.evictAnyKey() && !entry.key.equals(spec.key()))) {
        continue;
      }
      java.util.OptionalLong since = entry.outbound.unconnectedSince();
      if (since.isEmpty()) {
        continue;
      }
      boolean better = victim == null || (victim.initialized && !entry.initialized)
          || (victim.initialized == entry.initialized && since.getAsLong() < victimSince);
      if (better) {
        victimId = e.getKey();
        victim = entry;
        victimSince = since.getAsLong();
      }
    }
    if (victim == null) {
      return false;
    }
    sessionIndex.remove(victimId);
    directory.remove(victimId);
    String reason = "evicted to make room for a new session of '" + spec.key() + "' (" + limit.message()
        + "); it had nothing open" + (victim.initialized ? "" : " and had not completed the handshake");
    if (victim.session != null) {
      victim.session.tell(new ClientSession.Close(reason));
    } else {
      getContext().getLog().info("session closed key={} session={} reason={}", victim.key, victimId.substring(0, 8), reason);
      victim.outbound.complete();
    }
    return true;
  }

  private Behavior<Command> onCall(Call call) {
    ServerSpec spec = config.servers().get(call.key());
    if (spec == null || !stopAllWaiters.isEmpty()) {
      call.replyTo().tell(new ApiCall.CallFailed(ApiCall.CallFailure.UNAVAILABLE, new JsonRpcError(
          JsonRpcError.UNAVAILABLE, spec == null ? "unknown server key '" + call.key() + "'" : "the router is shutting down")));
      return this;
    }
    Optional<ServerInstance.KeyFailed> failed = failure(spec.key());
    if (failed.isPresent()) {
      call.replyTo().tell(new ApiCall.CallFailed(ApiCall.CallFailure.SERVER_GONE, failed.get().error()));
      return this;
    }
    String instance = instanceName(spec);
    if (!sharedByKey.containsKey(instance) && running.size() >= settings.limits().maxChildren()) {
      call.replyTo().tell(new ApiCall.CallFailed(ApiCall.CallFailure.UNAVAILABLE, new JsonRpcError(
          JsonRpcError.UNAVAILABLE, "limit reached: " + settings.limits().maxChildren()
              + " servers running, the router's maximum")));
      return this;
    }
    ServerSpec apiSpec = spec.withSharedProcess();
    Optional<Limit> limit = sessionLimitReached(apiSpec);
    while (limit.isPresent() && evictFor(apiSpec, limit.get())) {
      limit = sessionLimitReached(apiSpec);
    }
    if (limit.isPresent()) {
      // a REST call is a short session of its own, so it counts against the same bounds
      getContext().getLog().warn("REST call refused key={} reason={} setting={}", spec.key(), limit.get().message(),
          limit.get().setting());
      call.replyTo().tell(new ApiCall.CallFailed(ApiCall.CallFailure.UNAVAILABLE,
          new JsonRpcError(JsonRpcError.UNAVAILABLE, limit.get().message())));
      return this;
    }
    // a per-session key still serves API calls from one multiplexed child, never a process per call
    ActorRef<ServerInstance.Command> server = shared(apiSpec);
    String sessionId = newSessionId();
    sessionIndex.put(sessionId, new SessionEntry(server, spec.key(), Instant.now(), null));
    directory.put(sessionId, server);
    ActorRef<ApiCall.Command> apiCall = getContext().spawn(ApiCall.create(server, sessionId, spec.key(), call.method(),
        call.params(), call.timeout(), call.replyTo()), "api-call-" + spec.key() + "-" + (++calls));
    // a call answered from the cache opens no session: its index entry goes when the call does
    getContext().watchWith(apiCall, new SessionTerminated(sessionId));
    return this;
  }

  private Behavior<Command> onListRunning(ListRunning list) {
    forgetExpiredFailures();
    List<ServerInstance.Status> failed = new ArrayList<>();
    failedKeys.keySet().forEach(key -> failed.add(new ServerInstance.Status(key, "failed", -1, 0, 0,
        Optional.empty(), 0, config.servers().get(key).shareProcess(), List.of())));
    getContext().spawnAnonymous(Collector.create(List.copyOf(running.keySet()), ServerInstance.GetStatus::new,
        ServerInstance.Status.class, STATUS_TIMEOUT, Collector.WhenStopped.SKIP, statuses -> {
          List<ServerInstance.Status> all = new ArrayList<>(statuses);
          all.addAll(failed);
          list.replyTo().tell(new RunningServers(all));
        }));
    return this;
  }

  private Behavior<Command> onStopServer(StopServer stop) {
    List<ActorRef<ServerInstance.Command>> servers = running.entrySet().stream()
        .filter(e -> e.getValue().spec().key().equals(stop.key())).map(Map.Entry::getKey).toList();
    boolean wasFailed = failedKeys.remove(stop.key()) != null; // an operator's stop clears a crash loop
    failureHistory.remove(stop.key());
    if (servers.isEmpty()) {
      stop.replyTo().tell(wasFailed ? new StopReport(stop.key(), List.of()) : new NotRunning(stop.key()));
      return this;
    }
    Duration bound = settings.drainTimeout().plus(settings.gracePeriod()).plus(settings.killPeriod()).plusSeconds(5);
    getContext().spawnAnonymous(Collector.create(servers, replyTo -> new ServerInstance.Stop(stop.mode(), replyTo),
        ServerInstance.Stopped.class, bound, Collector.WhenStopped.AWAIT_ANSWER, stopped -> stop.replyTo().tell(new StopReport(stop.key(), stopped))));
    return this;
  }

  private Behavior<Command> onListClients(ListClients list) {
    List<Client> clients = new ArrayList<>();
    sessionIndex.forEach((id, entry) -> clients.add(new Client(id, entry.key(), entry.openedAt())));
    clients.sort(java.util.Comparator.comparing(Client::openedAt));
    list.replyTo().tell(new Clients(clients));
    return this;
  }

  /**
   * Children that die one after another without sessions to keep them restarting (REST-only use, a
   * per-session key) are a crash loop too: counted per key, with the same policy as a restart.
   */
  private RestartPolicy.Decision countFailure(String key, JsonRpcError error) {
    RouterSettings.Restart restart = settings.restart();
    RestartPolicy policy = failureHistory.computeIfAbsent(key, k -> new RestartPolicy(restart.minBackoff(),
        restart.maxBackoff(), restart.randomFactor(), restart.maxCrashes(), restart.window()));
    RestartPolicy.Decision decision = policy.crashed(System.nanoTime());
    if (decision.crashLoop() && !failedKeys.containsKey(key)) {
      String reason = crashLoop(key, decision, error);
      getContext().getLog().error("server failed key={} reason={}", key, reason);
      failedKeys.put(key, new ServerInstance.KeyFailed(key, Instant.now().plus(restart.window()),
          new JsonRpcError(JsonRpcError.SERVER_GONE, reason, error.data())));
    }
    return decision;
  }

  private String crashLoop(String key, RestartPolicy.Decision decision, JsonRpcError last) {
    return "server '" + key + "' is crash-looping (" + decision.crashesInWindow() + " failures within "
        + settings.restart().window().toSeconds() + " s; last: " + last.message() + ")";
  }

  /**
   * A shared child with sessions crashed: the one place where crashes are counted, per key, decides
   * whether its instance starts a new child (after a backoff) or gives up.
   */
  private void onCrashed(ServerInstance.Crashed crashed) {
    RestartPolicy.Decision decision = countFailure(crashed.key(), crashed.error());
    if (decision.crashLoop()) {
      String reason = crashLoop(crashed.key(), decision, crashed.error());
      crashed.server().tell(new ServerInstance.GiveUp(reason.substring(("server '" + crashed.key() + "' ").length())));
    } else {
      crashed.server().tell(new ServerInstance.RestartAfter(decision.backoff()));
    }
  }

  /** The crash loop that still bars this key, if any; an expired one is forgotten. */
  private Optional<ServerInstance.KeyFailed> failure(String key) {
    ServerInstance.KeyFailed failed = failedKeys.get(key);
    if (failed != null && Instant.now().isAfter(failed.until())) {
      failedKeys.remove(key);
      return Optional.empty();
    }
    return Optional.ofNullable(failed);
  }

  /** Expired bars go in one pass of their own, never while the map is being iterated for something else. */
  private void forgetExpiredFailures() {
    Instant now = Instant.now();
    failedKeys.values().removeIf(failed -> now.isAfter(failed.until()));
  }

  private static String stderrTail(ServerInstance.KeyFailed failed) {
    List<String> lines = new ArrayList<>();
    failed.error().data().path("stderr").forEach(line -> lines.add(line.asText()));
    return lines.isEmpty() ? "" : "Last stderr: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
  }

  private ActorRef<ServerInstance.Command> shared(ServerSpec spec) {
    return sharedByKey.computeIfAbsent(instanceName(spec), name -> spawnServer(spec, true));
  }

  /** The shared child of a key; a per-session key has one too, for REST calls. */
  private String instanceName(ServerSpec spec) {
    return spec.key() + (config.servers().get(spec.key()).shareProcess() ? "" : "#api");
  }

  private Behavior<Command> onStopAll(StopAll stopAll) {
    if (running.isEmpty()) {
      stopAll.replyTo().tell(Done.getInstance());
      return this;
    }
    stopAllWaiters.add(stopAll.replyTo());
    ActorRef<ServerInstance.Stopped> ignore = getContext().getSystem().ignoreRef();
    running.keySet().forEach(server -> server.tell(new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, ignore)));
    Duration graceful = settings.shutdownTimeout().minus(KILL_MARGIN);
    timers.startSingleTimer(ForceRemaining.INSTANCE, graceful.isNegative() ? Duration.ZERO : graceful);
    return this;
  }

  private Behavior<Command> onForceRemaining() {
    if (!running.isEmpty()) {
      getContext().getLog().warn("shutdown bound reached; force-stopping {} server(s)", running.size());
      ActorRef<ServerInstance.Stopped> ignore = getContext().getSystem().ignoreRef();
      running.keySet().forEach(server -> server.tell(new ServerInstance.Stop(ServerInstance.StopMode.FORCE, ignore)));
    }
    return this;
  }

  private Behavior<Command> onFromServer(FromServer fromServer) {
    ServerInstance.Lifecycle event = fromServer.event();
    if (event instanceof ServerInstance.KeyFailed failed) {
      failedKeys.put(failed.key(), failed);
    } else if (event instanceof ServerInstance.Crashed crashed) {
      onCrashed(crashed);
    } else if (event instanceof ServerInstance.SessionRefused refused) {
      sessionIndex.remove(refused.sessionId());
      directory.remove(refused.sessionId());
    } else if (event instanceof ServerInstance.ChildGone gone) {
      // new sessions of this key start a fresh child instead of being refused by a dying one
      sharedByKey.values().remove(gone.server());
      Running r = running.get(gone.server());
      // a key already barred was counted when it was (an instance that gave up reports its end too)
      if (gone.failed() && r != null && !failedKeys.containsKey(r.spec().key())) {
        countFailure(r.spec().key(), gone.error());
      }
    } else if (event instanceof ServerInstance.SessionStarted started) {
      SessionEntry entry = sessionIndex.get(started.sessionId());
      if (entry != null) {
        entry.session = started.session();
      }
      // an entry evicted before its session started is not put back: the session sees its outbound ended
      getContext().watchWith(started.session(), new SessionTerminated(started.sessionId()));
    } else if (event instanceof ServerInstance.SessionReady ready) {
      SessionEntry entry = sessionIndex.get(ready.sessionId());
      if (entry != null) {
        entry.initialized = true;
      }
    }
    return this;
  }

  private Behavior<Command> onSessionTerminated(SessionTerminated terminated) {
    sessionIndex.remove(terminated.sessionId());
    directory.remove(terminated.sessionId());
    return this;
  }

  private Behavior<Command> onServerTerminated(ServerTerminated terminated) {
    running.remove(terminated.server());
    sharedByKey.values().remove(terminated.server());
    sessionIndex.entrySet().removeIf(entry -> {
      boolean gone = entry.getValue().server().equals(terminated.server());
      if (gone) {
        directory.remove(entry.getKey());
      }
      return gone;
    });
    if (running.isEmpty() && !stopAllWaiters.isEmpty()) {
      stopAllWaiters.forEach(w -> w.tell(Done.getInstance()));
      stopAllWaiters.clear();
    }
    return this;
  }

  private ActorRef<ServerInstance.Command> spawnServer(ServerSpec spec, boolean startNow) {
    // An exception inside the actor is a bug, not a server crash (those are handled in its state
    // machine): restart it with backoff; PreRestart has already killed its process tree.
    Behavior<ServerInstance.Command> supervised = Behaviors.supervise(ServerInstance.create(spec, settings, lifecycleAdapter, permits, startNow))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2)
            .withMaxRestarts(5));
    // the REST calls' instance of a per-session key (instanceName "key#api"; '#' is not allowed in an actor name)
    String role = spec.shareProcess() && !config.servers().get(spec.key()).shareProcess() ? "-api-" : "-";
    ActorRef<ServerInstance.Command> server = getContext().spawn(supervised, "server-" + spec.key() + role + (++spawned));
    getContext().watchWith(server, new ServerTerminated(server));
    running.put(server, new Running(spec));
    return server;
  }

  private String newSessionId() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
