package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.ReceiveBuilder;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.child.StderrTail;
import io.mcprouter.child.StdioConnection;
import io.mcprouter.child.StdoutFrame;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.routing.Multiplexer;
import io.mcprouter.routing.Passthrough;
import io.mcprouter.routing.SessionRouting;
import io.mcprouter.session.ClientSession;
import io.mcprouter.session.Outbound;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One MCP server: the client sessions it serves (child actors) and, one generation at a time, the
 * OS process behind them (a {@link ChildProcess} child actor). One behavior per phase, in the style
 * of Akka's FSM sample: a phase simply has no handler for what it cannot take.
 *
 * <pre>
 * waiting ──first message──> starting ──Started──> running ──Stop(graceful)──> draining ──idle──> closing ──Exited──> exited
 *                              │  ^                 │  │                                              ^
 *                              │  └──RESTART timer──┤  └──Stop(force), initialize timeout, idle───────┘
 *                              │       restarting <─┘ a shared child with sessions crashed
 *                              └─Started after a restart─> reinitializing (the cached initialize replayed) ─> running
 * </pre>
 *
 * A child that exits is an expected event of this machine, not an actor failure: requests in flight
 * are failed at once, a shared child with sessions is started again after a backoff.
 */
public final class ServerInstance extends AbstractBehavior<ServerInstance.Command> {

  public sealed interface Command {}

  /**
   * Spawns a {@link ClientSession} writing to {@code outbound}; {@code first} is a message that
   * came with the opening (Streamable HTTP's initialize), routed as if delivered right after.
   */
  public record OpenSession(
      String sessionId,
      Outbound outbound,
      Optional<JsonRpcMessage> first,
      ActorRef<OpenSessionReply> replyTo)
      implements Command {}

  /** A message from the client of {@code sessionId}; its answer travels on the session's stream. */
  public record Deliver(String sessionId, JsonRpcMessage message, ActorRef<DeliverReply> replyTo)
      implements Command {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /**
   * The child's tool list as a REST call last fetched it, if no {@code tools/list_changed} came
   * since: REST callers list tools often, and the list changes rarely.
   */
  public record GetCachedTools(ActorRef<CachedTools> replyTo) implements Command {}

  /** {@code version} counts list changes: a list fetched before a change is not kept after it. */
  public record CachedTools(Optional<JsonNode> tools, long version) {}

  public record CacheTools(JsonNode tools, long version) implements Command {}

  public enum StopMode {
    GRACEFUL,
    FORCE
  }

  public record Stop(StopMode mode, ActorRef<Stopped> replyTo) implements Command {}

  /** The registry's answer to {@link Crashed}: start a new child after {@code backoff}. */
  public record RestartAfter(Duration backoff) implements Command {}

  /** The registry's answer to {@link Crashed}: the key crash-loops; {@code reason} says how. */
  public record GiveUp(String reason) implements Command {}

  private record FromChild(ChildProcess.Report report) implements Command {}

  /** The child actor ended without reporting an exit (a bug in it): treated as a crash. */
  private record ChildStopped(int generation) implements Command {}

  private record StdoutInit(ActorRef<StdoutAck> ackTo) implements Command {}

  // generation: which child the frames come from; a restarted server ignores its predecessor's
  private record StdoutFrames(int generation, ActorRef<StdoutAck> ackTo, List<StdoutFrame> frames)
      implements Command {}

  private enum StdoutAck {
    INSTANCE
  }

  private record StdoutEnded(int generation) implements Command {}

  private enum Timeout implements Command {
    DRAIN,
    SESSIONS_FLUSH,
    RESTART
  }

  /**
   * Periodic: request, initialize and idle timeouts are checked on it (one timer, not one per
   * request).
   */
  private enum Tick implements Command {
    INSTANCE
  }

  private record SessionEnded(String sessionId) implements Command {}

  /** The message that opened a session; a refusal is answered on the session's own stream. */
  private record DeliverFirst(String sessionId, JsonRpcMessage message) implements Command {}

  public sealed interface OpenSessionReply {}

  public record SessionOpened(String sessionId, ActorRef<ClientSession.Command> session)
      implements OpenSessionReply {}

  public record OpenRejected(String reason) implements OpenSessionReply {}

  public record UnknownServer(String key) implements OpenSessionReply {}

  public sealed interface DeliverReply {}

  public enum Accepted implements DeliverReply {
    INSTANCE
  }

  /** Not taken now (stopping, stdin buffer full): HTTP 503 with this error. */
  public record Rejected(JsonRpcError error) implements DeliverReply {}

  public record SessionNotFound(String sessionId) implements DeliverReply {}

  /** What a stop did: who it stopped and what became of the requests in flight when it began. */
  public record Stopped(
      String key,
      long pid,
      Optional<Integer> exitCode,
      StopMode mode,
      int requestsCompleted,
      int requestsFailed,
      Duration took) {}

  /**
   * {@code stderrTail}: for operators only (it may hold any user's data), never for a key's users.
   */
  public record Status(
      String key,
      String status,
      long pid,
      int sessions,
      int inFlight,
      Optional<Instant> startedAt,
      int restarts,
      boolean shareProcess,
      List<String> stderrTail) {}

  /** What a server reports to whoever keeps the index of sessions and processes. */
  public sealed interface Lifecycle {}

  /**
   * The child is gone; the actor is only flushing its sessions and takes no new ones. {@code
   * failed}: it crashed, could not start or never initialized (not a stop), with {@code error}
   * saying how.
   */
  public record ChildGone(ActorRef<Command> server, boolean failed, JsonRpcError error)
      implements Lifecycle {}

  public record SessionStarted(
      String sessionId, ActorRef<Command> server, ActorRef<ClientSession.Command> session)
      implements Lifecycle {}

  /**
   * The key crash-loops: refuse it with {@code error} until {@code until}, or until an operator
   * stops it.
   */
  public record KeyFailed(String key, Instant until, JsonRpcError error) implements Lifecycle {}

  /**
   * A shared child with sessions crashed ({@code error} says how); the instance keeps its sessions
   * and waits for {@link RestartAfter} or {@link GiveUp} from whoever counts the key's crashes.
   */
  public record Crashed(String key, ActorRef<Command> server, JsonRpcError error)
      implements Lifecycle {}

  /** An announced session was not opened (the server is stopping). */
  public record SessionRefused(String sessionId) implements Lifecycle {}

  /**
   * The session completed the MCP handshake: initialize answered, notifications/initialized
   * received.
   */
  public record SessionReady(String sessionId) implements Lifecycle {}

  static final int STDERR_LINES_IN_ERRORS = 20;

  /**
   * Sessions get this long to flush the errors of a dead child to their clients before they are
   * stopped.
   */
  private static final Duration SESSIONS_FLUSH_LIMIT = Duration.ofSeconds(5);

  public static Behavior<Command> create(
      ServerSpec spec, RouterSettings settings, ActorRef<Lifecycle> lifecycle) {
    return create(spec, settings, lifecycle, StartPermits.unlimited(), true);
  }

  /**
   * {@code startNow}: launch the child at once (a shared child; a per-session child whose session
   * came with its initialize, for which the caller holds a start permit); otherwise only when the
   * first client message arrives, taking a permit then: a legacy GET alone starts no process.
   */
  public static Behavior<Command> create(
      ServerSpec spec,
      RouterSettings settings,
      ActorRef<Lifecycle> lifecycle,
      StartPermits permits,
      boolean startNow) {
    return create(
        spec, settings, lifecycle, permits, startNow, ChildLauncher.processes(spec, settings));
  }

  /** {@code launcher}: what stands for each generation of the OS process (a probe in tests). */
  public static Behavior<Command> create(
      ServerSpec spec,
      RouterSettings settings,
      ActorRef<Lifecycle> lifecycle,
      StartPermits permits,
      boolean startNow,
      ChildLauncher launcher) {
    return create(spec, settings, lifecycle, permits, startNow, launcher, System::nanoTime);
  }

  /**
   * {@code clock}: what request deadlines and the idle timeout are measured with, in {@link
   * System#nanoTime} units; a test's virtual clock, advanced with the actor system's manual time.
   */
  public static Behavior<Command> create(
      ServerSpec spec,
      RouterSettings settings,
      ActorRef<Lifecycle> lifecycle,
      StartPermits permits,
      boolean startNow,
      ChildLauncher launcher,
      LongSupplier clock) {
    // the caller's permit goes to the first instance only; one restarted after a bug takes its own
    AtomicBoolean handedOver = new AtomicBoolean(startNow);
    return Behaviors.withStash(
        settings.stdinBufferMessages(),
        stash ->
            Behaviors.withTimers(
                timers ->
                    Behaviors.setup(
                        context -> {
                          InstanceParts parts =
                              new InstanceParts(
                                  spec, settings, lifecycle, permits, launcher, clock, stash,
                                  timers);
                          ServerInstance instance = new ServerInstance(context, parts);
                          return instance.begin(startNow, handedOver.getAndSet(false));
                        })));
  }

  /** What an instance is built from; a record so the constructor stays readable. */
  private record InstanceParts(
      ServerSpec spec,
      RouterSettings settings,
      ActorRef<Lifecycle> lifecycle,
      StartPermits permits,
      ChildLauncher launcher,
      LongSupplier clock,
      StashBuffer<Command> stash,
      TimerScheduler<Command> timers) {}

  private final ServerSpec spec;
  private final RouterSettings settings;
  private final ActorRef<Lifecycle> lifecycle;
  private final StartPermits permits;
  private final ChildLauncher launcher;
  private final LongSupplier clock;
  private final StashBuffer<Command> stash;
  private final TimerScheduler<Command> timers;
  private final SessionRouting routing;
  private final SessionRouting.Recipients recipients = new ToChildAndSessions();
  private final InstanceSessions sessions;
  private final ChildOutput childOutput;
  private final RequestDeadlines deadlines;
  private final StopProgress stop = new StopProgress();
  private final StderrTail stderrTail;
  private final ClientSession.Timeouts sessionTimeouts;
  private final ActorRef<ChildProcess.Report> reports;

  private String status = "waiting for a request";
  private int generation;
  private ActorRef<ChildProcess.Command> child;
  private StdioConnection.Handle stdin;
  private long pid = -1;
  private Instant startedAt;
  private Optional<Integer> exitCode = Optional.empty();
  private boolean stdoutEnded;

  /**
   * An exit reported before the stdout sink delivered the child's last frames: handled after them.
   */
  private ChildProcess.Exited pendingExit;

  /** The child was told to end because its stdin is gone (once per generation). */
  private boolean endingUnreachableChild;

  private boolean childGone;
  private String goneReason;
  private JsonNode toolsCache;
  private long toolsVersion;
  private long lastActivityNanos;
  private int restarts;
  private long sessionsSpawned;

  /**
   * A per-session child holds a start permit from launch until it has answered initialize or is
   * gone.
   */
  private boolean holdsPermit;

  private ServerInstance(ActorContext<Command> context, InstanceParts parts) {
    super(context);
    // phases are Receives of their own: without this the log would name Akka's actor cell
    context.setLoggerName(ServerInstance.class);
    this.spec = parts.spec();
    this.settings = parts.settings();
    this.lifecycle = parts.lifecycle();
    this.permits = parts.permits();
    this.launcher = parts.launcher();
    this.clock = parts.clock();
    this.lastActivityNanos = clock.getAsLong();
    this.stash = parts.stash();
    this.timers = parts.timers();
    this.sessionTimeouts =
        new ClientSession.Timeouts(
            settings.handshakeTimeout(),
            spec.sessionIdleTimeout().orElse(settings.streamableIdleTimeout()),
            spec.detachedTimeout().orElse(settings.streamableDetachedTimeout()));
    this.routing =
        spec.shareProcess()
            ? new Multiplexer(
                spec.key(), spec.interactive(), spec.roots(), settings.stdinBufferMessages(), clock)
            : new Passthrough(clock);
    this.stderrTail = new StderrTail(settings.stderrTailLines());
    this.reports = context.messageAdapter(ChildProcess.Report.class, FromChild::new);
    this.sessions = new InstanceSessions(lifecycle, this::releasePermit);
    this.deadlines =
        new RequestDeadlines(
            spec.key(),
            spec.requestTimeout().orElse(settings.requestTimeout()),
            settings.initializeTimeout(),
            clock,
            context.getLog());
    this.childOutput =
        new ChildOutput(
            spec.key(),
            settings.maxLineBytes(),
            context.getLog(),
            routing,
            recipients,
            this::toolsChanged);
  }

  private Behavior<Command> begin(boolean startNow, boolean permitHandedOver) {
    if (!startNow) {
      return waiting();
    }
    holdsPermit = !spec.shareProcess() && (permitHandedOver || permits.tryAcquire(spec.key()));
    return launch();
  }

  @Override
  public Receive<Command> createReceive() {
    return waiting(); // not used: begin() picks the first phase
  }

  // ------------------------------------------------------------------ phases

  /** A per-session server whose client has sent nothing yet: no process runs. */
  private Receive<Command> waiting() {
    status = "waiting for a request";
    return withCommon(
        newReceiveBuilder()
            .onMessage(OpenSession.class, this::openSession)
            .onMessage(Deliver.class, this::deliverWaiting)
            .onMessage(
                DeliverFirst.class,
                first -> {
                  sessions.clientSent(first.sessionId(), first.message());
                  return launchFor(first, () -> refuseOnStream(first, refusedStart()));
                })
            .onMessage(Stop.class, this::stopWithoutChild)
            .onMessage(SessionEnded.class, this::sessionEndedWaiting));
  }

  /** The child is being launched off-thread; clients' messages wait in the stash. */
  private Receive<Command> starting() {
    status = "starting";
    return withCommon(
        waitingForChild()
            .onMessage(Stop.class, stopCommand -> stashOr(stopCommand, () -> {}))
            .onMessage(SessionEnded.class, this::sessionEnded));
  }

  /**
   * A new child after a crash, being sent the cached initialize before anything else reaches it.
   */
  private Receive<Command> reinitializing() {
    status = "running";
    return withCommon(
        waitingForChild()
            .onMessage(Stop.class, stopCommand -> stashOr(stopCommand, () -> {}))
            .onMessage(
                StdoutFrames.class,
                read -> {
                  routeFrames(read);
                  // MCP: nothing but pings before the server has answered initialize
                  return routing.replaying() ? Behaviors.same() : stash.unstashAll(running());
                })
            .onMessageEquals(Tick.INSTANCE, () -> checkTimeouts().orElse(Behaviors.same()))
            .onMessage(SessionEnded.class, this::sessionEnded));
  }

  private Receive<Command> running() {
    status = "running";
    return withCommon(
        newReceiveBuilder()
            .onMessage(OpenSession.class, this::openSession)
            .onMessage(Deliver.class, this::deliverRunning)
            .onMessage(DeliverFirst.class, this::deliverFirstRunning)
            .onMessage(Stop.class, this::stopRunning)
            .onMessage(
                StdoutFrames.class,
                read -> {
                  routeFrames(read);
                  return Behaviors.same();
                })
            .onMessageEquals(Tick.INSTANCE, () -> checkTimeouts().orElseGet(this::idleCheck))
            .onMessage(SessionEnded.class, this::sessionEndedRunning));
  }

  /** A graceful stop: no new requests; those in flight get until the drain timeout to finish. */
  private Receive<Command> draining() {
    status = "draining";
    return withCommon(
        stopping()
            .onMessage(
                StdoutFrames.class,
                read -> {
                  routeFrames(read);
                  return closeStdinIfDrained();
                })
            .onMessageEquals(
                Tick.INSTANCE, () -> checkTimeouts().orElseGet(this::closeStdinIfDrained))
            .onMessageEquals(
                Timeout.DRAIN,
                () -> {
                  getContext()
                      .getLog()
                      .info(
                          "key={} drain timeout with {} requests in flight; closing stdin",
                          spec.key(),
                          routing.inFlight());
                  return closeStdin();
                })
            .onMessage(SessionEnded.class, this::sessionEnded));
  }

  /** Stdin is closed; the child actor sends SIGTERM, then SIGKILL, if the process does not exit. */
  private Receive<Command> closing() {
    status = "stopping";
    return withCommon(
        stopping()
            .onMessage(
                StdoutFrames.class,
                read -> {
                  routeFrames(read);
                  return Behaviors.same();
                })
            .onMessage(SessionEnded.class, this::sessionEnded));
  }

  /** Between a crash of a shared child and its restart: sessions stay, messages wait. */
  private Receive<Command> restarting() {
    status = "restarting";
    return withCommon(
        waitingForChild()
            .onMessage(
                Stop.class, this::stopWithoutChild) // nothing runs between a crash and its restart
            .onMessage(RestartAfter.class, this::restartAfter)
            .onMessage(GiveUp.class, this::giveUp)
            .onMessageEquals(Timeout.RESTART, this::launch)
            .onMessage(SessionEnded.class, this::sessionEnded));
  }

  /**
   * The child is gone: what was in flight has failed; the sessions flush their errors and close.
   */
  private Receive<Command> exited() {
    status = "stopping";
    return withCommon(
        newReceiveBuilder()
            .onMessage(OpenSession.class, this::refuseOpen)
            .onMessage(
                Deliver.class,
                deliver ->
                    sessions.contains(deliver.sessionId())
                        ? reject(deliver, goneError())
                        : notFound(deliver))
            .onMessage(
                DeliverFirst.class,
                first -> {
                  refuseOnStream(first, goneError());
                  return Behaviors.same();
                })
            .onMessage(
                Stop.class,
                stopCommand -> {
                  stopCommand.replyTo().tell(stopReport());
                  return Behaviors.same();
                })
            .onMessage(
                SessionEnded.class,
                ended -> {
                  removeSession(ended.sessionId());
                  return sessions.isEmpty() ? Behaviors.stopped() : Behaviors.same();
                })
            .onMessageEquals(Timeout.SESSIONS_FLUSH, Behaviors::stopped));
  }

  /**
   * What the phases that wait for a child share: sessions open, their messages wait in the stash.
   */
  private ReceiveBuilder<Command> waitingForChild() {
    return newReceiveBuilder()
        .onMessage(OpenSession.class, this::openSession)
        .onMessage(Deliver.class, this::deliverQueued)
        .onMessage(DeliverFirst.class, this::deliverFirstQueued);
  }

  /** What draining and closing share: no new sessions or requests; notifications still pass. */
  private ReceiveBuilder<Command> stopping() {
    return newReceiveBuilder()
        .onMessage(OpenSession.class, this::refuseOpen)
        .onMessage(Deliver.class, this::deliverStopping)
        .onMessage(
            DeliverFirst.class,
            first -> {
              refuseOnStream(first, ServerErrors.stopping(spec.key()));
              return Behaviors.same();
            })
        .onMessage(Stop.class, this::stopAgain);
  }

  /** Handlers every phase has; a phase's own handlers come first and win. */
  private Receive<Command> withCommon(ReceiveBuilder<Command> phase) {
    return phase
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(
            GetCachedTools.class,
            get -> {
              get.replyTo().tell(new CachedTools(Optional.ofNullable(toolsCache), toolsVersion));
              return Behaviors.same();
            })
        .onMessage(
            CacheTools.class,
            cache -> {
              if (cache.version() == toolsVersion) {
                toolsCache = cache.tools();
              }
              return Behaviors.same();
            })
        .onMessage(FromChild.class, this::onFromChild)
        .onMessage(ChildStopped.class, this::onChildStopped)
        .onMessage(
            StdoutInit.class,
            init -> {
              init.ackTo().tell(StdoutAck.INSTANCE);
              return Behaviors.same();
            })
        .onMessage(
            StdoutFrames.class,
            read -> {
              read.ackTo()
                  .tell(
                      StdoutAck.INSTANCE); // no child to route for in this phase: read, not routed
              return Behaviors.same();
            })
        .onMessage(StdoutEnded.class, this::onStdoutEnded)
        .onMessageEquals(Tick.INSTANCE, Behaviors::same)
        .onMessage(Timeout.class, timeout -> Behaviors.same())
        .onSignal(PostStop.class, this::onEnd)
        .onSignal(PreRestart.class, this::onEnd)
        .build();
  }

  // ------------------------------------------------------------------ the child process

  private Behavior<Command> launch() {
    int launched = ++generation;
    stdoutEnded = false;
    pendingExit = null;
    childGone = false;
    endingUnreachableChild = false;
    stdin = null;
    exitCode = Optional.empty();
    ChildProcess.StdoutTarget<Command, StdoutAck> target =
        new ChildProcess.StdoutTarget<>(
            getContext().getSelf(),
            (ackTo, frames) -> new StdoutFrames(launched, ackTo, frames),
            StdoutInit::new,
            StdoutAck.INSTANCE,
            new StdoutEnded(launched),
            failure -> new StdoutEnded(launched));
    child =
        getContext()
            .spawn(launcher.launch(launched, stderrTail, target, reports), "child-" + launched);
    getContext().watchWith(child, new ChildStopped(launched));
    return starting();
  }

  /**
   * The first message of a session whose child was not started yet: start it, if a permit is free.
   */
  private Behavior<Command> launchFor(Command message, Runnable refused) {
    if (!spec.shareProcess()) {
      if (!permits.tryAcquire(spec.key())) {
        getContext()
            .getLog()
            .warn("child start refused key={} reason={}", spec.key(), permits.refusal(spec.key()));
        refused.run();
        return Behaviors.same();
      }
      holdsPermit = true;
    }
    stash.stash(message);
    return launch();
  }

  private JsonRpcError refusedStart() {
    return new JsonRpcError(JsonRpcError.UNAVAILABLE, permits.refusal(spec.key()));
  }

  private Behavior<Command> onFromChild(FromChild fromChild) {
    if (fromChild.report() instanceof ChildProcess.Started started) {
      return started.generation() == generation ? childStarted(started) : Behaviors.same();
    }
    ChildProcess.Exited exited = (ChildProcess.Exited) fromChild.report();
    if (exited.generation() != generation || childGone) {
      return Behaviors.same();
    }
    if (exited.stdoutDrained() && !stdoutEnded && exited.launchFailure().isEmpty()) {
      pendingExit = exited; // its last answers are still on their way through the stdout sink
      return Behaviors.same();
    }
    return childExited(exited);
  }

  private Behavior<Command> childStarted(ChildProcess.Started started) {
    pid = started.pid();
    stdin = started.stdin();
    startedAt = Instant.now();
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.checkInterval());
    if (!spec.shareProcess() && sessions.isEmpty()) {
      // its session ended (or its open failed) while the child was starting: nobody will use it
      getContext()
          .getLog()
          .info("key={} pid={} its session ended while it started; stopping it", spec.key(), pid);
      stop.begin(StopMode.GRACEFUL, 0);
      return stash.unstashAll(closeStdin());
    }
    if (restarts > 0) {
      routing.childReplaced(recipients);
      if (routing.replaying()) {
        return reinitializing(); // the sessions' messages wait until the replayed initialize is
        // answered
      }
    }
    return stash.unstashAll(running());
  }

  private Behavior<Command> onStdoutEnded(StdoutEnded ended) {
    if (ended.generation() != generation) {
      return Behaviors.same();
    }
    stdoutEnded = true;
    if (pendingExit != null) {
      ChildProcess.Exited exited = pendingExit;
      pendingExit = null;
      return childExited(exited);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onChildStopped(ChildStopped stopped) {
    if (stopped.generation() != generation || childGone || pendingExit != null) {
      return Behaviors.same(); // its exit was reported (and may wait for the last stdout frames)
    }
    getContext()
        .getLog()
        .error("key={} the actor of child pid={} ended without its exit", spec.key(), pid);
    return childExited(
        new ChildProcess.Exited(generation, Optional.empty(), Optional.empty(), false));
  }

  private Behavior<Command> childExited(ChildProcess.Exited exited) {
    childGone = true;
    child = null;
    stdin = null;
    pendingExit = null;
    timers.cancel(Tick.INSTANCE);
    if (exited.launchFailure().isPresent()) {
      goneReason = "could not be started: " + exited.launchFailure().get();
      return gone();
    }
    exitCode = exited.exitCode();
    getContext()
        .getLog()
        .info(
            "server exited key={} pid={} code={} in_flight={}",
            spec.key(),
            pid,
            exitCode.map(String::valueOf).orElse("unknown"),
            routing.inFlight());
    if (!stop.begun() && goneReason == null && spec.shareProcess() && !sessions.isEmpty()) {
      return crashedWithSessions();
    }
    return gone();
  }

  /**
   * A shared child with sessions crashed: fail what was in flight, keep the sessions, and ask the
   * registry (the one owner of crash-loop detection, per key) whether to start a new child; the
   * Multiplexer replays initialize to it. Until the answer comes the instance is restarting; should
   * none come, it restarts after the longest backoff.
   */
  private Behavior<Command> crashedWithSessions() {
    String reason = "exited with code " + exitCode.map(String::valueOf).orElse("unknown");
    JsonRpcError crash = ServerErrors.gone(spec.key(), reason, diagnostics());
    failInFlight(crash);
    timers.cancelAll();
    timers.startSingleTimer(Timeout.RESTART, settings.restart().maxBackoff());
    lifecycle.tell(new Crashed(spec.key(), getContext().getSelf(), crash));
    return restarting();
  }

  private Behavior<Command> restartAfter(RestartAfter decision) {
    restarts++;
    getContext()
        .getLog()
        .warn(
            "server crashed key={} pid={} exited with code {}; restart {} in {} ms with {} sessions kept",
            spec.key(),
            pid,
            exitCode.map(String::valueOf).orElse("unknown"),
            restarts,
            decision.backoff().toMillis(),
            sessions.size());
    timers.startSingleTimer(Timeout.RESTART, decision.backoff());
    return Behaviors.same();
  }

  private Behavior<Command> giveUp(GiveUp decision) {
    goneReason = decision.reason();
    getContext().getLog().error("server failed key={} reason={}", spec.key(), goneReason);
    return gone();
  }

  /**
   * The child is gone: fail what is in flight, close every session, stop when they have flushed.
   */
  private Behavior<Command> gone() {
    timers.cancelAll();
    releasePermit();
    boolean failed = goneReason != null || !stop.begun();
    if (goneReason == null) {
      goneReason =
          stop.forced()
              ? "was force-stopped"
              : stop.begun()
                  ? "was stopped"
                  : "exited with code " + exitCode.map(String::valueOf).orElse("unknown");
    }
    JsonRpcError gone = goneError();
    lifecycle.tell(new ChildGone(getContext().getSelf(), failed, gone));
    failInFlight(gone);
    Behavior<Command> exited = exited();
    if (!stash.isEmpty()) {
      stash.unstashAll(exited); // messages held for a child that will not come: refused as gone
    }
    stop.answer(stopReport());
    sessions.closeAll("server " + goneReason);
    if (sessions.isEmpty()) {
      return Behaviors.stopped();
    }
    timers.startSingleTimer(Timeout.SESSIONS_FLUSH, SESSIONS_FLUSH_LIMIT);
    return exited;
  }

  private JsonRpcError goneError() {
    return ServerErrors.gone(spec.key(), goneReason, diagnostics());
  }

  private ObjectNode diagnostics() {
    return ServerErrors.diagnostics(
        spec.key(), exitCode, spec.exposeStderr(), stderrTail.last(STDERR_LINES_IN_ERRORS));
  }

  // ------------------------------------------------------------------ stopping

  /**
   * No child runs (none started yet, or between a crash and its restart): the stop is immediate.
   */
  private Behavior<Command> stopWithoutChild(Stop stopCommand) {
    stop.begin(stopCommand.mode(), 0);
    stop.await(stopCommand.replyTo());
    return gone();
  }

  private Behavior<Command> stopRunning(Stop stopCommand) {
    Behavior<Command> next = stopAgain(stopCommand);
    if (stopCommand.mode() == StopMode.GRACEFUL) {
      timers.startSingleTimer(Timeout.DRAIN, settings.drainTimeout());
      return routing.inFlight() == 0 ? closeStdin() : draining();
    }
    return next;
  }

  /**
   * A stop while one runs: a forced one overtakes a graceful one; either way the asker is answered.
   */
  private Behavior<Command> stopAgain(Stop stopCommand) {
    stop.await(stopCommand.replyTo());
    if (stop.begin(stopCommand.mode(), routing.inFlight())) {
      getContext()
          .getLog()
          .info(
              "server {} stop key={} pid={} in_flight={}",
              stopCommand.mode() == StopMode.FORCE ? "forced" : "graceful",
              spec.key(),
              pid,
              routing.inFlight());
    }
    if (stopCommand.mode() == StopMode.FORCE) {
      failInFlight(ServerErrors.gone(spec.key(), "was force-stopped"));
      child.tell(new ChildProcess.Terminate(ChildProcess.Termination.NOW));
      return closing();
    }
    return Behaviors.same();
  }

  private Behavior<Command> closeStdinIfDrained() {
    return routing.inFlight() == 0 ? closeStdin() : Behaviors.same();
  }

  /**
   * MCP stdio shutdown: EOF on stdin first; the child actor signals only if the server does not
   * exit.
   */
  private Behavior<Command> closeStdin() {
    timers.cancel(Timeout.DRAIN);
    child.tell(ChildProcess.CloseStdin.INSTANCE);
    return closing();
  }

  private Stopped stopReport() {
    return stop.report(spec.key(), pid, exitCode);
  }

  private void failInFlight(JsonRpcError error) {
    List<JsonNode> ids = routing.inFlightIds();
    stop.failed(ids.size());
    ids.forEach(id -> routing.fromChild(JsonRpcMessage.failure(id, error), recipients));
  }

  private void releasePermit() {
    if (holdsPermit) {
      holdsPermit = false;
      permits.release(spec.key());
    }
  }

  /**
   * Its children (sessions and the child process actor, whose end kills the process tree) stop with
   * it.
   */
  private Behavior<Command> onEnd(Object signal) {
    releasePermit();
    return Behaviors.same();
  }

  // ------------------------------------------------------------------ sessions and their messages

  private Behavior<Command> openSession(OpenSession open) {
    ActorRef<ClientSession.Command> session =
        getContext()
            .spawn(
                ClientSession.create(
                    spec.key(), open.sessionId(), open.outbound(), sessionTimeouts),
                // the full id is the client's credential for its session: it would show in every
                // actor path logged
                "session-"
                    + open.sessionId().substring(0, Math.min(8, open.sessionId().length()))
                    + "-"
                    + (++sessionsSpawned));
    getContext().watchWith(session, new SessionEnded(open.sessionId()));
    sessions.add(open.sessionId(), new AttachedSession(session, open.outbound()));
    routing.sessionOpened(open.sessionId());
    lifecycle.tell(new SessionStarted(open.sessionId(), getContext().getSelf(), session));
    // before the reply: the client learns its session id from it, so its next message comes after
    // this one
    open.first()
        .ifPresent(first -> getContext().getSelf().tell(new DeliverFirst(open.sessionId(), first)));
    open.replyTo().tell(new SessionOpened(open.sessionId(), session));
    return Behaviors.same();
  }

  private Behavior<Command> refuseOpen(OpenSession open) {
    lifecycle.tell(new SessionRefused(open.sessionId()));
    open.replyTo().tell(new OpenRejected("server '" + spec.key() + "' is stopping"));
    return Behaviors.same();
  }

  private void removeSession(String sessionId) {
    lastActivityNanos = clock.getAsLong();
    sessions.remove(sessionId);
    routing.sessionClosed(sessionId, recipients);
  }

  private Behavior<Command> sessionEnded(SessionEnded ended) {
    removeSession(ended.sessionId());
    if (!spec.shareProcess() && sessions.isEmpty()) {
      releasePermit();
    }
    return Behaviors.same();
  }

  private Behavior<Command> sessionEndedWaiting(SessionEnded ended) {
    removeSession(ended.sessionId());
    if (sessions.isEmpty()) {
      releasePermit();
      return Behaviors.stopped(); // a legacy session that never sent a request: no child to stop
    }
    return Behaviors.same();
  }

  private Behavior<Command> sessionEndedRunning(SessionEnded ended) {
    sessionEnded(ended);
    if (!spec.shareProcess() && sessions.isEmpty()) {
      stop.begin(StopMode.GRACEFUL, routing.inFlight());
      return closeStdin(); // its only client is gone: nobody is waiting for answers
    }
    return Behaviors.same();
  }

  private Behavior<Command> deliverWaiting(Deliver deliver) {
    if (!sessions.contains(deliver.sessionId())) {
      return notFound(deliver);
    }
    sessions.clientSent(deliver.sessionId(), deliver.message());
    return launchFor(deliver, () -> reject(deliver, refusedStart()));
  }

  private Behavior<Command> deliverQueued(Deliver deliver) {
    if (!sessions.contains(deliver.sessionId())) {
      return notFound(deliver);
    }
    sessions.clientSent(deliver.sessionId(), deliver.message());
    return stashOr(deliver, () -> reject(deliver, ServerErrors.tooManyQueued(spec.key())));
  }

  private Behavior<Command> deliverRunning(Deliver deliver) {
    if (!sessions.contains(deliver.sessionId())) {
      return notFound(deliver);
    }
    sessions.clientSent(deliver.sessionId(), deliver.message());
    int max = settings.limits().maxInFlightPerSession();
    if (deliver.message() instanceof JsonRpcMessage.Request
        && routing.inFlightFor(deliver.sessionId()) >= max) {
      return reject(deliver, ServerErrors.inFlightLimit(max));
    }
    lastActivityNanos = clock.getAsLong();
    return route(deliver);
  }

  /**
   * Requests are refused once a stop has begun; notifications (a cancel, say) still reach the
   * child.
   */
  private Behavior<Command> deliverStopping(Deliver deliver) {
    if (!sessions.contains(deliver.sessionId())) {
      return notFound(deliver);
    }
    sessions.clientSent(deliver.sessionId(), deliver.message());
    if (deliver.message() instanceof JsonRpcMessage.Request) {
      return reject(deliver, ServerErrors.stopping(spec.key()));
    }
    return route(deliver);
  }

  /** To the child: refused when its stdin is full, held for its exit when its stdin is gone. */
  private Behavior<Command> route(Deliver deliver) {
    if (routing.fromClient(deliver.sessionId(), deliver.message(), recipients)
        == SessionRouting.Outcome.ACCEPTED) {
      return accept(deliver);
    }
    return childGoing()
        ? heldForExit(deliver, () -> reject(deliver, ServerErrors.stdinFull(spec.key())))
        : reject(deliver, ServerErrors.stdinFull(spec.key()));
  }

  private Behavior<Command> deliverFirstQueued(DeliverFirst first) {
    sessions.clientSent(first.sessionId(), first.message());
    return stashOr(first, () -> refuseOnStream(first, ServerErrors.tooManyQueued(spec.key())));
  }

  private Behavior<Command> deliverFirstRunning(DeliverFirst first) {
    sessions.clientSent(first.sessionId(), first.message());
    if (!sessions.contains(first.sessionId())
        || routing.fromClient(first.sessionId(), first.message(), recipients)
            == SessionRouting.Outcome.ACCEPTED) {
      return Behaviors.same();
    }
    if (childGoing()) {
      return heldForExit(first, () -> refuseOnStream(first, ServerErrors.stdinFull(spec.key())));
    }
    refuseOnStream(first, ServerErrors.stdinFull(spec.key()));
    return Behaviors.same();
  }

  /** A refused offer because stdin is gone (closed, or its pipe broke), not because it is full. */
  private boolean childGoing() {
    return stdin != null && stdin.gone();
  }

  /**
   * The child's stdin is gone: whatever is sent now waits for its exit, so that the client learns
   * why (the exit code and, where allowed, stderr) rather than that the child is busy; a restarted
   * child gets it. A child that closed its stdin on its own can never be asked again: it is ended.
   */
  private Behavior<Command> heldForExit(Command message, Runnable refuse) {
    if (!stop.begun() && !endingUnreachableChild && child != null) {
      endingUnreachableChild = true;
      getContext().getLog().warn("key={} pid={} its stdin is closed; stopping it", spec.key(), pid);
      child.tell(new ChildProcess.Terminate(ChildProcess.Termination.NOW));
    }
    return stashOr(message, refuse);
  }

  private Behavior<Command> stashOr(Command command, Runnable reject) {
    if (stash.isFull()) {
      reject.run();
    } else {
      stash.stash(command);
    }
    return Behaviors.same();
  }

  private Behavior<Command> accept(Deliver deliver) {
    deliver.replyTo().tell(Accepted.INSTANCE);
    return Behaviors.same();
  }

  private Behavior<Command> reject(Deliver deliver, JsonRpcError error) {
    sessions.notTaken(deliver.sessionId(), deliver.message());
    deliver.replyTo().tell(new Rejected(error));
    return Behaviors.same();
  }

  private Behavior<Command> notFound(Deliver deliver) {
    deliver.replyTo().tell(new SessionNotFound(deliver.sessionId()));
    return Behaviors.same();
  }

  private void refuseOnStream(DeliverFirst first, JsonRpcError error) {
    sessions.notTaken(first.sessionId(), first.message());
    if (first.message() instanceof JsonRpcMessage.Request request) {
      recipients.toSession(first.sessionId(), JsonRpcMessage.failure(request.id(), error));
    }
  }

  // ------------------------------------------------------------------ timeouts

  /** Request and initialize timeouts; a behavior when one of them ends the child. */
  private Optional<Behavior<Command>> checkTimeouts() {
    return deadlines.check(routing, recipients)
        ? Optional.of(initializeTimedOut())
        : Optional.empty();
  }

  private Behavior<Command> idleCheck() {
    Duration idleLimit = spec.idleTimeout().orElse(settings.idleTimeout());
    if (spec.shareProcess()
        && !idleLimit.isZero()
        && sessions.isEmpty()
        && routing.inFlight() == 0
        && clock.getAsLong() - lastActivityNanos > idleLimit.toNanos()) {
      getContext()
          .getLog()
          .info("server idle key={} pid={} for {}; stopping it", spec.key(), pid, idleLimit);
      stop.begin(StopMode.GRACEFUL, 0);
      return closeStdin();
    }
    return Behaviors.same();
  }

  private Behavior<Command> initializeTimedOut() {
    goneReason =
        "did not answer initialize within " + deadlines.initializeLimit().toMillis() + " ms";
    getContext()
        .getLog()
        .error("server failed to start key={} pid={} reason={}", spec.key(), pid, goneReason);
    stop.begin(StopMode.FORCE, routing.inFlight());
    failInFlight(goneError());
    child.tell(new ChildProcess.Terminate(ChildProcess.Termination.NOW));
    return closing();
  }

  // ------------------------------------------------------------------ status and stdout

  private Behavior<Command> onGetStatus(GetStatus get) {
    get.replyTo()
        .tell(
            new Status(
                spec.key(),
                status,
                childGone ? -1 : pid,
                sessions.size(),
                routing.inFlight(),
                Optional.ofNullable(startedAt),
                restarts,
                spec.shareProcess(),
                stderrTail.last(STDERR_LINES_IN_ERRORS)));
    return Behaviors.same();
  }

  private void toolsChanged() {
    toolsCache = null;
    toolsVersion++;
  }

  private void routeFrames(StdoutFrames read) {
    if (read.generation() == generation) {
      childOutput.handle(read.frames());
    } // else a crashed predecessor's last words: read, not routed
    read.ackTo().tell(StdoutAck.INSTANCE);
  }

  private final class ToChildAndSessions implements SessionRouting.Recipients {
    @Override
    public boolean toChild(JsonRpcMessage message) {
      return stdin != null && stdin.offer(message);
    }

    @Override
    public void toSession(String sessionId, JsonRpcMessage message) {
      sessions.deliver(sessionId, message);
    }
  }
}
