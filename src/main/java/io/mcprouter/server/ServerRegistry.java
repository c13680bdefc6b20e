package io.mcprouter.server;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.pattern.StatusReply;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.config.ConfigDiff;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.McpMetrics;
import io.mcprouter.observe.Observability;
import io.mcprouter.server.SessionDirectory.Transport;
import io.mcprouter.session.Outbound;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * One per JVM: maps server keys to running {@link ServerInstance} actors, starts them on first use,
 * admits every session into the {@link SessionDirectory} (the one index of sessions, which it alone
 * writes), and stops them all at shutdown. The operator's requests (listing, stopping a key) are
 * answered by its {@link OperatorRequests}, REST calls admitted by its {@link ApiCallAdmission}.
 * Routes ask it once; it forwards with the caller's {@code replyTo}.
 */
public final class ServerRegistry extends AbstractBehavior<ServerRegistry.Command> {

  public sealed interface Command {}

  /**
   * Opens a session on {@code key}, starting its server when needed. {@code owner}: with access
   * keys, the credential that opens it, the only one that may use it afterwards.
   */
  public record OpenSession(
      String key,
      Outbound outbound,
      Optional<JsonRpcMessage> first,
      Transport transport,
      Optional<String> owner,
      ActorRef<ServerInstance.OpenSessionReply> replyTo)
      implements Command {}

  /**
   * A request made by the router itself (REST API) on the key's shared child, started if needed;
   * {@code input}: the caller opted in to answering the child's asks (multi round-trip calls).
   */
  public record Call(
      String key,
      String method,
      JsonNode params,
      Duration timeout,
      Optional<ApiInput> input,
      ActorRef<ApiCall.CallReply> replyTo)
      implements Command {

    public Call(
        String key,
        String method,
        JsonNode params,
        Duration timeout,
        ActorRef<ApiCall.CallReply> replyTo) {
      this(key, method, params, timeout, Optional.empty(), replyTo);
    }
  }

  public record ListRunning(ActorRef<RunningServers> replyTo) implements Command {}

  public record StopServer(
      String key, ServerInstance.StopMode mode, ActorRef<StopServerReply> replyTo)
      implements Command {}

  public record ListClients(ActorRef<Clients> replyTo) implements Command {}

  /**
   * Each configured key's state, answered from the registry's own maps (no instance is asked), so
   * that a health probe costs one message.
   */
  public record GetKeyStates(ActorRef<KeyStates> replyTo) implements Command {}

  /**
   * Stops every server gracefully (escalating to signals on their timers); answers when all are
   * gone.
   */
  public record StopAll(ActorRef<Done> replyTo) implements Command {}

  /**
   * A reload: {@code next} (already validated) is applied as a diff to the running servers and then
   * published to the routes; the answer says what changed.
   */
  public record ApplyConfig(RouterConfig next, ActorRef<StatusReply<ConfigDiff>> replyTo)
      implements Command {}

  private record FromServer(ServerInstance.Lifecycle event) implements Command {}

  /** Router shutdown is bounded: whatever has not stopped gracefully by now is killed. */
  private enum ForceRemaining implements Command {
    INSTANCE
  }

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
  public record StopReport(String key, List<ServerInstance.Stopped> stopped)
      implements StopServerReply {
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

  /** In the order of the config. */
  public record KeyStates(List<KeyState> keys) {
    public KeyStates {
      keys = List.copyOf(keys);
    }
  }

  /**
   * {@code RUNNING}: at least one child of the key is alive (a spare counts); {@code IDLE}: none;
   * {@code FAILED}: barred after a crash loop, {@code reason} the refusal's text without the
   * child's stderr.
   */
  public record KeyState(String key, State state, Optional<String> reason) {
    public enum State {
      RUNNING,
      IDLE,
      FAILED
    }
  }

  /** Time kept at the end of the shutdown bound for SIGKILL and the exit to be seen. */
  private static final Duration KILL_MARGIN = Duration.ofSeconds(3);

  /** The router's registry, whose instances run real child processes. */
  public static Behavior<Command> create(
      RouterConfig config, RouterSettings settings, SessionDirectory directory) {
    return create(new LiveConfig(config), settings, directory, Observability.off());
  }

  /** The router's registry, which alone replaces {@code config} (on {@link ApplyConfig}). */
  public static Behavior<Command> create(
      LiveConfig config, RouterSettings settings, SessionDirectory directory) {
    return create(config, settings, directory, Observability.off());
  }

  /** {@code observability}: the router's metrics (sessions, children, refusals) and call hooks. */
  public static Behavior<Command> create(
      LiveConfig config,
      RouterSettings settings,
      SessionDirectory directory,
      Observability observability) {
    return create(
        config, settings, directory, InstanceFactory.real(settings, observability), observability);
  }

  public static Behavior<Command> create(
      RouterConfig config,
      RouterSettings settings,
      SessionDirectory directory,
      Observability observability) {
    return create(new LiveConfig(config), settings, directory, observability);
  }

  public static Behavior<Command> create(
      RouterConfig config,
      RouterSettings settings,
      SessionDirectory directory,
      InstanceFactory factory) {
    return create(new LiveConfig(config), settings, directory, factory, Observability.off());
  }

  public static Behavior<Command> create(
      LiveConfig config,
      RouterSettings settings,
      SessionDirectory directory,
      InstanceFactory factory) {
    return create(config, settings, directory, factory, Observability.off());
  }

  /** {@code directory} is kept up to date with every session this registry opens and sees end. */
  public static Behavior<Command> create(
      LiveConfig config,
      RouterSettings settings,
      SessionDirectory directory,
      InstanceFactory factory,
      Observability observability) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context ->
                    new ServerRegistry(
                        context, timers, config, settings, directory, factory, observability)));
  }

  private final LiveConfig config;
  private final RouterSettings settings;
  private final SessionDirectory directory;
  private final TimerScheduler<Command> timers;
  private final Instances<Command> instances;
  private final Admission admission;
  private final CrashLoopBars crashLoops;
  private final StartPermits permits;
  private final OperatorRequests operator;
  private final SpareChildren spares;
  private final ApiCallAdmission<Command> apiCalls;
  private final ConfigChanges changes;

  /** Null when metrics are off. */
  private final McpMetrics metrics;

  private final SecureRandom random = new SecureRandom();
  private final List<ActorRef<Done>> stopAllWaiters = new ArrayList<>();

  private ServerRegistry(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      LiveConfig config,
      RouterSettings settings,
      SessionDirectory directory,
      InstanceFactory factory,
      Observability observability) {
    super(context);
    this.metrics = observability.metrics();
    this.timers = timers;
    this.config = config;
    this.settings = settings;
    this.directory = directory;
    this.admission = new Admission(settings.limits(), directory, context.getLog());
    this.crashLoops = new CrashLoopBars(settings.restart(), context.getLog());
    this.permits = new StartPermits(settings.limits().maxStartingChildrenPerKey());
    this.instances =
        new Instances<>(
            context,
            config,
            factory,
            context.messageAdapter(ServerInstance.Lifecycle.class, FromServer::new),
            permits,
            ServerTerminated::new);
    this.operator =
        new OperatorRequests(context, config, settings, directory, instances, crashLoops);
    this.spares =
        new SpareChildren(config, instances, admission, crashLoops, permits, context.getLog());
    this.apiCalls =
        new ApiCallAdmission<>(
            context,
            config,
            directory,
            instances,
            admission,
            crashLoops,
            this::newSessionId,
            SessionTerminated::new);
    this.changes = new ConfigChanges(context, config, instances, spares, crashLoops);
    spares.fillAll();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(OpenSession.class, this::onOpenSession)
        .onMessage(Call.class, this::onCall)
        .onMessage(ListRunning.class, this::onListRunning)
        .onMessage(StopServer.class, this::onStopServer)
        .onMessage(ListClients.class, this::onListClients)
        .onMessage(GetKeyStates.class, this::onGetKeyStates)
        .onMessage(StopAll.class, this::onStopAll)
        .onMessage(ApplyConfig.class, this::onApplyConfig)
        .onMessageEquals(ForceRemaining.INSTANCE, this::onForceRemaining)
        .onMessage(FromServer.class, this::onFromServer)
        .onMessage(ServerTerminated.class, this::onServerTerminated)
        .onMessage(SessionTerminated.class, this::onSessionTerminated)
        .build();
  }

  private Behavior<Command> onOpenSession(OpenSession open) {
    ServerSpec spec = config.get().servers().get(open.key());
    if (spec == null) {
      open.replyTo().tell(new ServerInstance.UnknownServer(open.key()));
      return this;
    }
    if (!stopAllWaiters.isEmpty()) {
      open.replyTo().tell(new ServerInstance.OpenRejected("the router is shutting down"));
      return this;
    }
    Optional<ServerInstance.KeyFailed> failed = crashLoops.barring(spec.key());
    if (failed.isPresent()) {
      refused("crash-loop");
      open.replyTo().tell(new ServerInstance.OpenRejected(CrashLoopBars.refusal(failed.get())));
      return this;
    }
    // a Streamable session brings its initialize, so its child starts now; a legacy GET starts none
    boolean startNow = spec.shareProcess() || open.first().isPresent();
    boolean spare = !spec.shareProcess() && startNow && instances.spareCount(spec.key()) > 0;
    Optional<Admission.Refusal> refusal =
        admission.admit(spec.key(), instances.needsChild(spec) && !spare, instances.size());
    if (refusal.isPresent()) {
      getContext()
          .getLog()
          .warn(
              "session refused key={} reason={} setting={}",
              spec.key(),
              refusal.get().message(),
              refusal.get().setting());
      refused(refusal.get().setting());
      open.replyTo().tell(new ServerInstance.OpenRejected(refusal.get().message()));
      return this;
    }
    if (!spec.shareProcess() && startNow && !spare && !permits.tryAcquire(spec.key())) {
      getContext()
          .getLog()
          .warn(
              "session refused key={} reason={} setting=mcprouter.limits.max-starting-children-per-key",
              spec.key(),
              permits.refusal(spec.key()));
      refused("mcprouter.limits.max-starting-children-per-key");
      open.replyTo().tell(new ServerInstance.OpenRejected(permits.refusal(spec.key())));
      return this;
    }
    ActorRef<ServerInstance.Command> server =
        spec.shareProcess()
            ? instances.shared(spec)
            : spare ? instances.takeSpare(spec.key()).get() : instances.spawn(spec, startNow);
    String sessionId = newSessionId();
    // counted from now, so a burst of opens cannot overshoot the limits before the sessions start
    directory.put(
        sessionId,
        SessionDirectory.Entry.opened(
            spec.key(), server, open.transport(), open.owner(), open.outbound()));
    server.tell(
        new ServerInstance.OpenSession(
            sessionId, open.outbound(), open.first(), open.transport(), open.replyTo()));
    spares.fill(spec);
    if (metrics != null) {
      metrics.sessionOpened(spec.key(), open.transport().observed());
    }
    return this;
  }

  private void refused(String setting) {
    if (metrics != null) {
      metrics.refused(setting);
    }
  }

  private Behavior<Command> onCall(Call call) {
    apiCalls.start(call, !stopAllWaiters.isEmpty());
    return this;
  }

  private Behavior<Command> onListRunning(ListRunning list) {
    operator.listRunning(list.replyTo());
    return this;
  }

  private Behavior<Command> onStopServer(StopServer stop) {
    operator.stopServer(stop.key(), stop.mode(), stop.replyTo());
    return this;
  }

  private Behavior<Command> onListClients(ListClients list) {
    operator.listClients(list.replyTo());
    return this;
  }

  private Behavior<Command> onGetKeyStates(GetKeyStates get) {
    operator.keyStates(get.replyTo());
    return this;
  }

  private Behavior<Command> onStopAll(StopAll stopAll) {
    if (instances.isEmpty()) {
      stopAll.replyTo().tell(Done.getInstance());
      return this;
    }
    stopAllWaiters.add(stopAll.replyTo());
    stopEvery(ServerInstance.StopMode.GRACEFUL);
    Duration graceful = settings.shutdownTimeout().minus(KILL_MARGIN);
    timers.startSingleTimer(
        ForceRemaining.INSTANCE, graceful.isNegative() ? Duration.ZERO : graceful);
    return this;
  }

  private Behavior<Command> onApplyConfig(ApplyConfig apply) {
    if (!stopAllWaiters.isEmpty()) {
      // every server is stopping: starting or retiring any now would race the shutdown
      apply.replyTo().tell(StatusReply.error("the router is shutting down"));
      return this;
    }
    apply.replyTo().tell(StatusReply.success(changes.apply(apply.next())));
    return this;
  }

  private Behavior<Command> onForceRemaining() {
    if (!instances.isEmpty()) {
      getContext()
          .getLog()
          .warn("shutdown bound reached; force-stopping {} server(s)", instances.size());
      stopEvery(ServerInstance.StopMode.FORCE);
    }
    return this;
  }

  private void stopEvery(ServerInstance.StopMode mode) {
    ActorRef<ServerInstance.Stopped> ignore = getContext().getSystem().ignoreRef();
    instances.all().forEach(server -> server.tell(new ServerInstance.Stop(mode, ignore)));
  }

  private Behavior<Command> onFromServer(FromServer fromServer) {
    ServerInstance.Lifecycle event = fromServer.event();
    if (event instanceof ServerInstance.KeyFailed failed) {
      crashLoops.bar(failed);
    } else if (event instanceof ServerInstance.Crashed crashed) {
      crashed.server().tell(crashLoops.crashed(crashed.key(), crashed.error()));
    } else if (event instanceof ServerInstance.EraLearned learned) {
      instances.eraLearned(learned.key(), learned.protocol());
    } else if (event instanceof ServerInstance.SessionRefused refused) {
      directory.remove(refused.sessionId());
    } else if (event instanceof ServerInstance.ChildGone gone) {
      instances.retire(gone.server());
      if (gone.failed()) {
        instances
            .specOf(gone.server())
            .ifPresent(spec -> crashLoops.childGone(spec.key(), gone.error()));
      }
    } else if (event instanceof ServerInstance.SessionStarted started) {
      // an entry evicted before its session started is not put back: the session sees its outbound
      // ended
      directory.started(started.sessionId(), started.session());
      getContext().watchWith(started.session(), new SessionTerminated(started.sessionId()));
    } else if (event instanceof ServerInstance.SessionReady ready) {
      directory.handshakeCompleted(ready.sessionId());
    }
    return this;
  }

  private Behavior<Command> onSessionTerminated(SessionTerminated terminated) {
    directory.remove(terminated.sessionId());
    return this;
  }

  private Behavior<Command> onServerTerminated(ServerTerminated terminated) {
    instances.terminated(terminated.server());
    directory.removeAllOf(terminated.server());
    if (instances.isEmpty() && !stopAllWaiters.isEmpty()) {
      stopAllWaiters.forEach(w -> w.tell(Done.getInstance()));
      stopAllWaiters.clear();
    }
    return this;
  }

  private String newSessionId() {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
