package io.mcprouter.process;

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
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One per JVM: maps server keys to running {@link ServerProcess} actors, starts them on first use,
 * indexes every session by its id, and answers what is running. Routes ask it once; it forwards with
 * the caller's {@code replyTo}.
 */
public final class ServerRegistry extends AbstractBehavior<ServerRegistry.Command> {

  public sealed interface Command {}

  /** Opens a session on {@code key}, starting its server when needed. */
  public record OpenSession(String key, Outbound outbound, ActorRef<ServerProcess.OpenSessionReply> replyTo)
      implements Command {}

  public record Deliver(String sessionId, JsonRpcMessage message, ActorRef<ServerProcess.DeliverReply> replyTo)
      implements Command {}

  public record ListRunning(ActorRef<RunningServers> replyTo) implements Command {}

  /** Stops every server gracefully (escalating to signals on their timers); answers when all are gone. */
  public record StopAll(ActorRef<Done> replyTo) implements Command {}

  private record FromServer(ServerProcess.Lifecycle event) implements Command {}

  private record ServerTerminated(ActorRef<ServerProcess.Command> server) implements Command {}

  private record SessionTerminated(String sessionId) implements Command {}

  public record RunningServers(List<RunningServer> servers) {
    public RunningServers {
      servers = List.copyOf(servers);
    }
  }

  public record RunningServer(String key, long pid, boolean shareProcess, int sessions) {}

  private static final class Running {
    final ServerSpec spec;
    long pid = -1;
    int sessions;

    Running(ServerSpec spec) {
      this.spec = spec;
    }
  }

  public static Behavior<Command> create(RouterConfig config, RouterSettings settings) {
    return Behaviors.setup(context -> new ServerRegistry(context, config, settings));
  }

  private final RouterConfig config;
  private final RouterSettings settings;
  private final ActorRef<ServerProcess.Lifecycle> lifecycleAdapter;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, ActorRef<ServerProcess.Command>> sharedByKey = new HashMap<>();
  private final Map<ActorRef<ServerProcess.Command>, Running> running = new LinkedHashMap<>();
  private final Map<String, ActorRef<ServerProcess.Command>> serverBySession = new HashMap<>();
  private final List<ActorRef<Done>> stopAllWaiters = new ArrayList<>();
  private long spawned;

  private ServerRegistry(ActorContext<Command> context, RouterConfig config, RouterSettings settings) {
    super(context);
    this.config = config;
    this.settings = settings;
    this.lifecycleAdapter = context.messageAdapter(ServerProcess.Lifecycle.class, FromServer::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(OpenSession.class, this::onOpenSession)
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(ListRunning.class, this::onListRunning)
        .onMessage(StopAll.class, this::onStopAll)
        .onMessage(FromServer.class, this::onFromServer)
        .onMessage(ServerTerminated.class, this::onServerTerminated)
        .onMessage(SessionTerminated.class, this::onSessionTerminated)
        .build();
  }

  private Behavior<Command> onOpenSession(OpenSession open) {
    ServerSpec spec = config.servers().get(open.key());
    if (spec == null) {
      open.replyTo().tell(new ServerProcess.UnknownServer(open.key()));
      return this;
    }
    if (!stopAllWaiters.isEmpty()) {
      open.replyTo().tell(new ServerProcess.OpenRejected("the router is shutting down"));
      return this;
    }
    ActorRef<ServerProcess.Command> server = spec.shareProcess()
        ? sharedByKey.computeIfAbsent(spec.key(), key -> spawnServer(spec))
        : spawnServer(spec);
    server.tell(new ServerProcess.OpenSession(newSessionId(), open.outbound(), open.replyTo()));
    return this;
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    ActorRef<ServerProcess.Command> server = serverBySession.get(deliver.sessionId());
    if (server == null) {
      deliver.replyTo().tell(new ServerProcess.SessionNotFound(deliver.sessionId()));
    } else {
      server.tell(new ServerProcess.Deliver(deliver.sessionId(), deliver.message(), deliver.replyTo()));
    }
    return this;
  }

  private Behavior<Command> onListRunning(ListRunning list) {
    List<RunningServer> servers = new ArrayList<>();
    running.values().forEach(r -> servers.add(new RunningServer(r.spec.key(), r.pid, r.spec.shareProcess(), r.sessions)));
    list.replyTo().tell(new RunningServers(servers));
    return this;
  }

  private Behavior<Command> onStopAll(StopAll stopAll) {
    if (running.isEmpty()) {
      stopAll.replyTo().tell(Done.getInstance());
      return this;
    }
    stopAllWaiters.add(stopAll.replyTo());
    ActorRef<ServerProcess.Stopped> ignore = getContext().getSystem().ignoreRef();
    running.keySet().forEach(server -> server.tell(new ServerProcess.Stop(ServerProcess.StopMode.GRACEFUL, ignore)));
    return this;
  }

  private Behavior<Command> onFromServer(FromServer fromServer) {
    ServerProcess.Lifecycle event = fromServer.event();
    if (event instanceof ServerProcess.ChildStarted started) {
      Running r = running.get(started.server());
      if (r != null) {
        r.pid = started.pid();
      }
    } else if (event instanceof ServerProcess.ChildGone gone) {
      Running r = running.get(gone.server());
      if (r != null) {
        // new sessions of this key start a fresh child instead of being refused by a dying one
        sharedByKey.remove(r.spec.key(), gone.server());
      }
    } else if (event instanceof ServerProcess.SessionStarted started) {
      serverBySession.put(started.sessionId(), started.server());
      Running r = running.get(started.server());
      if (r != null) {
        r.sessions++;
      }
      getContext().watchWith(started.session(), new SessionTerminated(started.sessionId()));
    }
    return this;
  }

  private Behavior<Command> onSessionTerminated(SessionTerminated terminated) {
    ActorRef<ServerProcess.Command> server = serverBySession.remove(terminated.sessionId());
    Running r = server == null ? null : running.get(server);
    if (r != null) {
      r.sessions--;
    }
    return this;
  }

  private Behavior<Command> onServerTerminated(ServerTerminated terminated) {
    Running r = running.remove(terminated.server());
    if (r != null) {
      sharedByKey.remove(r.spec.key(), terminated.server());
    }
    serverBySession.values().removeIf(terminated.server()::equals);
    if (running.isEmpty() && !stopAllWaiters.isEmpty()) {
      stopAllWaiters.forEach(w -> w.tell(Done.getInstance()));
      stopAllWaiters.clear();
    }
    return this;
  }

  private ActorRef<ServerProcess.Command> spawnServer(ServerSpec spec) {
    // An exception inside the actor is a bug, not a server crash (those are handled in its state
    // machine): restart it with backoff; PreRestart has already killed its process tree.
    Behavior<ServerProcess.Command> supervised = Behaviors.supervise(ServerProcess.create(spec, settings, lifecycleAdapter))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2)
            .withMaxRestarts(5));
    ActorRef<ServerProcess.Command> server = getContext().spawn(supervised, "server-" + spec.key() + "-" + (++spawned));
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
