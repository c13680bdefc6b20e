package io.mcprouter.server;

import io.mcprouter.child.StderrTail;

import io.mcprouter.child.ChildEnvironment;

import io.mcprouter.child.ChildMarkers;

import io.mcprouter.child.ProcessTree;

import io.mcprouter.child.StdoutFrame;

import io.mcprouter.child.StdioConnection;

import io.mcprouter.routing.Passthrough;

import io.mcprouter.routing.Multiplexer;

import io.mcprouter.routing.SessionRouting;

import io.mcprouter.child.ChildProcess;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.ClientSession;
import io.mcprouter.session.Outbound;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One MCP server child process and the client sessions it serves (its child actors).
 *
 * <p>Phases: STARTING (spawning off-thread; deliveries are stashed) -> RUNNING -> DRAINING (graceful
 * stop: no new requests; in-flight ones finish) -> CLOSING (stdin closed; SIGTERM then SIGKILL on
 * timers) -> EXITED (the child is gone: everything in flight is failed, sessions are closed, the
 * actor stops once they have flushed). A child that exits on its own is an expected event of this
 * state machine, not an actor failure.
 */
public final class ServerInstance extends AbstractBehavior<ServerInstance.Command> {

  public sealed interface Command {}

  /**
   * Spawns a {@link ClientSession} writing to {@code outbound}; {@code first} is a message that came
   * with the opening (Streamable HTTP's initialize), routed as if delivered right after.
   */
  public record OpenSession(String sessionId, Outbound outbound, Optional<JsonRpcMessage> first,
      ActorRef<OpenSessionReply> replyTo) implements Command {}

  /** A message from the client of {@code sessionId}; its answer travels on the session's stream. */
  public record Deliver(String sessionId, JsonRpcMessage message, ActorRef<DeliverReply> replyTo)
      implements Command {}

  /** One request made by the router itself (REST API); {@code tools/list} answers come from a cache. */
  public record Call(String method, JsonNode params, Duration timeout, ActorRef<CallReply> replyTo)
      implements Command {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  public enum StopMode { GRACEFUL, FORCE }

  public record Stop(StopMode mode, ActorRef<Stopped> replyTo) implements Command {}

  private record Launched(Process process, String instance) implements Command {}

  private record LaunchFailed(String reason) implements Command {}

  private record StdoutInit(ActorRef<StdoutAck> ackTo) implements Command {}

  // generation: which child the event is about; a restarted server ignores its predecessor's
  private record StdoutFrames(int generation, ActorRef<StdoutAck> ackTo, List<StdoutFrame> frames) implements Command {}

  private enum StdoutAck { INSTANCE }

  private record StdoutEnded(int generation) implements Command {}

  private record StderrEnded(int generation) implements Command {}

  private record ProcessExited(int generation, int exitCode) implements Command {}

  private enum Timeout implements Command { DRAIN, GRACE, KILL, EXIT_DRAIN, SESSIONS_FLUSH, RESTART }

  /** Periodic: request, initialize and idle timeouts are checked on it. */
  private enum Tick implements Command { INSTANCE }

  private record SessionEnded(String sessionId) implements Command {}

  private record DirectDelivery(String sessionId, JsonRpcMessage message) implements Command {}

  private record CallTimedOut(String sessionId) implements Command {}

  /** The message that opened a session; a refusal is answered on the session's own stream. */
  private record DeliverFirst(String sessionId, JsonRpcMessage message) implements Command {}

  public sealed interface OpenSessionReply {}

  public record SessionOpened(String sessionId, ActorRef<ClientSession.Command> session)
      implements OpenSessionReply {}

  public record OpenRejected(String reason) implements OpenSessionReply {}

  public record UnknownServer(String key) implements OpenSessionReply {}

  public sealed interface DeliverReply {}

  public enum Accepted implements DeliverReply { INSTANCE }

  /** Not taken now (stopping, stdin buffer full): HTTP 503 with this error. */
  public record Rejected(JsonRpcError error) implements DeliverReply {}

  public record SessionNotFound(String sessionId) implements DeliverReply {}

  public sealed interface CallReply {}

  public record CallResult(JsonNode result) implements CallReply {}

  /** {@code kind} says who failed: the MCP server answered an error, or the router could not get an answer. */
  public record CallFailed(CallFailure kind, JsonRpcError error) implements CallReply {}

  public enum CallFailure { SERVER_ERROR, SERVER_GONE, UNAVAILABLE, TIMEOUT }

  /** What a stop did: who it stopped and what became of the requests in flight when it began. */
  public record Stopped(String key, long pid, Optional<Integer> exitCode, StopMode mode,
      int requestsCompleted, int requestsFailed, Duration took) {}

  /** {@code stderrTail}: for operators only (it may hold any user's data), never for a key's users. */
  public record Status(String key, String status, long pid, int sessions, int inFlight,
      Optional<Instant> startedAt, int restarts, boolean shareProcess, List<String> stderrTail) {}

  /** What a server reports to whoever keeps the index of sessions and processes. */
  public sealed interface Lifecycle {}

  /**
   * The child is gone; the actor is only flushing its sessions and takes no new ones. {@code failed}:
   * it crashed, could not start or never initialized (not a stop), with {@code error} saying how.
   */
  public record ChildGone(ActorRef<Command> server, boolean failed, JsonRpcError error) implements Lifecycle {}

  public record SessionStarted(String sessionId, ActorRef<Command> server, ActorRef<ClientSession.Command> session)
      implements Lifecycle {}

  /** The key crash-loops: refuse it with {@code error} until {@code until}, or until an operator stops it. */
  public record KeyFailed(String key, Instant until, JsonRpcError error) implements Lifecycle {}

  /** An announced session was not opened (the server is stopping). */
  public record SessionRefused(String sessionId) implements Lifecycle {}

  /** The session completed the MCP handshake: initialize answered, notifications/initialized received. */
  public record SessionReady(String sessionId) implements Lifecycle {}

  private enum Phase { STARTING, RUNNING, DRAINING, CLOSING, EXITED, RESTARTING }

  private static final int STDERR_LINES_IN_ERRORS = 20;
  /** Sessions get this long to flush the errors of a dead child to their clients before they are stopped. */
  private static final Duration SESSIONS_FLUSH_LIMIT = Duration.ofSeconds(5);

  public static Behavior<Command> create(ServerSpec spec, RouterSettings settings, ActorRef<Lifecycle> lifecycle) {
    return create(spec, settings, lifecycle, StartPermits.unlimited(), true);
  }

  /**
   * {@code startNow}: launch the child at once (a shared child; a per-session child whose session came
   * with its initialize, for which the caller holds a start permit); otherwise only when the first
   * client message arrives, taking a permit then: a legacy GET alone starts no process.
   */
  public static Behavior<Command> create(ServerSpec spec, RouterSettings settings, ActorRef<Lifecycle> lifecycle,
      StartPermits permits, boolean startNow) {
    // the caller's permit goes to the first instance only; one restarted after a bug takes its own
    java.util.concurrent.atomic.AtomicBoolean handedOver = new java.util.concurrent.atomic.AtomicBoolean(startNow);
    return Behaviors.withStash(settings.stdinBufferMessages(), stash ->
        Behaviors.withTimers(timers ->
            Behaviors.setup(context -> new ServerInstance(context, stash, timers, spec, settings, lifecycle, permits, startNow,
                handedOver.getAndSet(false)))));
  }

  private final StashBuffer<Command> stash;
  private final TimerScheduler<Command> timers;
  private final ServerSpec spec;
  private final RouterSettings settings;
  private final ActorRef<Lifecycle> lifecycle;
  private final Executor blocking;
  private final SessionRouting routing;
  private final SessionRouting.Outbox outbox = new ToChildAndSessions();
  private final DirectCalls directCalls = new DirectCalls();
  private final Map<String, AttachedSession> sessions = new HashMap<>();
  private final List<ActorRef<Stopped>> stopWaiters = new ArrayList<>();
  private final StderrTail stderrTail;
  private Phase phase = Phase.STARTING;
  private ChildProcess child;
  private Instant startedAt;
  private Integer exitCode;
  private boolean stdoutEnded;
  private boolean stderrEnded;
  private JsonNode toolsCache;
  private StopMode stopMode;
  private Instant stopStartedAt;
  private int inFlightAtStop;
  private int failedAtStop;
  private String goneReason;
  private long lastActivityNanos = System.nanoTime();
  private int restarts;
  private long sessionsSpawned;
  private final RestartPolicy restartPolicy;
  private final StartPermits permits;
  private final ClientSession.Timeouts sessionTimeouts;
  private boolean launchRequested;
  /** A per-session child holds a start permit from launch until it has answered initialize or is gone. */
  private boolean holdsPermit;

  private ServerInstance(ActorContext<Command> context, StashBuffer<Command> stash, TimerScheduler<Command> timers,
      ServerSpec spec, RouterSettings settings, ActorRef<Lifecycle> lifecycle, StartPermits permits, boolean startNow,
      boolean permitHandedOver) {
    super(context);
    this.permits = permits;
    this.sessionTimeouts = new ClientSession.Timeouts(settings.handshakeTimeout(),
        spec.sessionIdleTimeout().orElse(settings.streamableIdleTimeout()),
        spec.detachedTimeout().orElse(settings.streamableDetachedTimeout()));
    this.stash = stash;
    this.timers = timers;
    this.spec = spec;
    this.settings = settings;
    this.lifecycle = lifecycle;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(settings.blockingDispatcher()));
    this.routing = spec.shareProcess()
        ? new Multiplexer(spec.key(), spec.interactive(), spec.roots(), settings.stdinBufferMessages())
        : new Passthrough();
    this.stderrTail = new StderrTail(settings.stderrTailLines());
    RouterSettings.Restart restart = settings.restart();
    this.restartPolicy = new RestartPolicy(restart.minBackoff(), restart.maxBackoff(), restart.randomFactor(),
        restart.maxCrashes(), restart.window());
    if (startNow) {
      holdsPermit = !spec.shareProcess() && (permitHandedOver || permits.tryAcquire(spec.key()));
      launchRequested = true;
      startChild();
    }
  }

  /** The first message of a session whose child was not started yet: start it, if a permit is free. */
  private Optional<JsonRpcError> launchOnDemand() {
    if (launchRequested || phase != Phase.STARTING) {
      return Optional.empty();
    }
    if (!spec.shareProcess()) {
      if (!permits.tryAcquire(spec.key())) {
        getContext().getLog().warn("child start refused key={} reason={}", spec.key(), permits.refusal(spec.key()));
        return Optional.of(new JsonRpcError(JsonRpcError.UNAVAILABLE, permits.refusal(spec.key())));
      }
      holdsPermit = true;
    }
    launchRequested = true;
    startChild();
    return Optional.empty();
  }

  private void releasePermit() {
    if (holdsPermit) {
      holdsPermit = false;
      permits.release(spec.key());
    }
  }

  private void startChild() {
    String instance = ChildMarkers.newInstance();
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> launch(instance), blocking), (started, failure) ->
        failure == null ? new Launched(started, instance) : new LaunchFailed(rootMessage(failure)));
  }

  private Process launch(String instance) {
    try {
      return ProcessTree.start(spec, instance, new ChildEnvironment(settings.childEnvDeny()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Launched.class, this::onLaunched)
        .onMessage(LaunchFailed.class, this::onLaunchFailed)
        .onMessage(OpenSession.class, this::onOpenSession)
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(DeliverFirst.class, this::onDeliverFirst)
        .onMessage(Call.class, this::onCall)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(Stop.class, this::onStop)
        .onMessage(StdoutInit.class, this::onStdoutInit)
        .onMessage(StdoutFrames.class, this::onStdoutFrames)
        .onMessage(StdoutEnded.class, this::onStdoutEnded)
        .onMessage(StderrEnded.class, this::onStderrEnded)
        .onMessage(ProcessExited.class, this::onProcessExited)
        .onMessage(Timeout.class, this::onTimeout)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(SessionEnded.class, this::onSessionEnded)
        .onMessage(DirectDelivery.class, this::onDirectDelivery)
        .onMessage(CallTimedOut.class, this::onCallTimedOut)
        .onSignal(PostStop.class, signal -> releaseAll())
        .onSignal(PreRestart.class, signal -> releaseAll())
        .build();
  }

  private Behavior<Command> onLaunched(Launched launched) {
    Process process = launched.process();
    startedAt = Instant.now();
    getContext().getLog().info("server started key={} pid={} shared={}", spec.key(), process.pid(), spec.shareProcess());
    int generation = restarts;
    StdioConnection.Handle stdio = StdioConnection.start(process, settings, getContext().getSystem(), getContext().getSelf(),
        (ackTo, frames) -> new StdoutFrames(generation, ackTo, frames), StdoutInit::new, StdoutAck.INSTANCE,
        new StdoutEnded(generation), failure -> new StdoutEnded(generation),
        stderrTail, getContext().getLog(), "key=" + spec.key() + " pid=" + process.pid());
    child = new ChildProcess(process, launched.instance(), stdio, blocking);
    getContext().pipeToSelf(child.stderrDone(), (done, failure) -> new StderrEnded(generation));
    getContext().pipeToSelf(process.onExit(), (exited, failure) -> new ProcessExited(generation, exited.exitValue()));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.checkInterval());
    phase = Phase.RUNNING;
    if (!spec.shareProcess() && sessions.isEmpty()) {
      // its session ended (or its open failed) while the child was starting: nobody will use it
      getContext().getLog().info("key={} pid={} its session ended while it started; stopping it", spec.key(), process.pid());
      stopMode = StopMode.GRACEFUL;
      stopStartedAt = Instant.now();
      closeStdin();
      return stash.unstashAll(this);
    }
    if (restarts > 0) {
      routing.childReplaced(outbox);
      if (routing.replaying()) {
        // MCP: nothing but pings before the server has answered initialize, so the sessions'
        // messages wait until the replayed one is answered (see onStdoutFrames)
        return this;
      }
    }
    return stash.unstashAll(this);
  }

  /** Clients' messages wait: no child yet, or a new one not yet initialized again. */
  private boolean queuing() {
    return phase == Phase.STARTING || phase == Phase.RESTARTING || (phase == Phase.RUNNING && routing.replaying());
  }

  private Behavior<Command> onLaunchFailed(LaunchFailed failed) {
    getContext().getLog().error("server failed to start key={} reason={}", spec.key(), failed.reason());
    goneReason = "could not be started: " + failed.reason();
    phase = Phase.EXITED;
    stash.unstashAll(this); // queued deliveries are refused and stop requests answered, with the reason above
    return exited();
  }

  private Behavior<Command> onOpenSession(OpenSession open) {
    if (phase != Phase.STARTING && phase != Phase.RUNNING && phase != Phase.RESTARTING) {
      lifecycle.tell(new SessionRefused(open.sessionId()));
      open.replyTo().tell(new OpenRejected("server '" + spec.key() + "' is stopping"));
      return this;
    }
    ActorRef<ClientSession.Command> session =
        getContext().spawn(ClientSession.create(spec.key(), open.sessionId(), open.outbound(), sessionTimeouts),
            // the full id is the client's credential for its session: it would show in every actor path logged
            "session-" + open.sessionId().substring(0, Math.min(8, open.sessionId().length())) + "-" + (++sessionsSpawned));
    getContext().watchWith(session, new SessionEnded(open.sessionId()));
    sessions.put(open.sessionId(), new AttachedSession(session, open.outbound()));
    routing.sessionOpened(open.sessionId());
    lifecycle.tell(new SessionStarted(open.sessionId(), getContext().getSelf(), session));
    open.replyTo().tell(new SessionOpened(open.sessionId(), session));
    open.first().ifPresent(first -> onDeliverFirst(new DeliverFirst(open.sessionId(), first)));
    return this;
  }

  private Behavior<Command> onDeliverFirst(DeliverFirst first) {
    noteClientStep(first.sessionId(), first.message());
    Optional<JsonRpcError> notLaunched = launchOnDemand();
    if (notLaunched.isPresent()) {
      refuseOnStream(first, notLaunched.get());
      return this;
    }
    if (queuing()) {
      return stashOrReject(first, () -> refuseOnStream(first, tooManyQueued()));
    }
    if (!sessions.containsKey(first.sessionId())) {
      return this;
    }
    Optional<JsonRpcError> refusal = refusal(first.message() instanceof JsonRpcMessage.Request);
    if (refusal.isPresent()) {
      refuseOnStream(first, refusal.get());
    } else if (routing.fromClient(first.sessionId(), first.message(), outbox) != SessionRouting.Outcome.ACCEPTED) {
      refuseOnStream(first, stdinFull());
    }
    return this;
  }

  /** MCP lifecycle (basic/lifecycle): the client's initialize, then its notifications/initialized. */
  private void noteClientStep(String sessionId, JsonRpcMessage message) {
    AttachedSession session = sessions.get(sessionId);
    if (session != null && !session.ready()) {
      if (message instanceof JsonRpcMessage.Request r && "initialize".equals(r.method())) {
        session.initializeSent(r.id());
      } else if (message instanceof JsonRpcMessage.Notification n && "notifications/initialized".equals(n.method())) {
        session.initializedReceived();
        readyIfComplete(sessionId, session);
      }
    }
  }

  private void initializeNotTaken(String sessionId, JsonRpcMessage message) {
    AttachedSession session = sessions.get(sessionId);
    if (session != null && message instanceof JsonRpcMessage.Request r) {
      session.initializeNotTaken(r.id());
    }
  }

  private void readyIfComplete(String sessionId, AttachedSession session) {
    if (session.becameReady()) {
      lifecycle.tell(new SessionReady(sessionId));
    }
  }

  private void refuseOnStream(DeliverFirst first, JsonRpcError error) {
    initializeNotTaken(first.sessionId(), first.message());
    if (first.message() instanceof JsonRpcMessage.Request request) {
      outbox.toSession(first.sessionId(), JsonRpcMessage.failure(request.id(), error));
    }
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    if (!sessions.containsKey(deliver.sessionId())) {
      deliver.replyTo().tell(new SessionNotFound(deliver.sessionId()));
      return this;
    }
    noteClientStep(deliver.sessionId(), deliver.message());
    Optional<JsonRpcError> notLaunched = launchOnDemand();
    if (notLaunched.isPresent()) {
      return reject(deliver, notLaunched.get());
    }
    if (queuing()) {
      return stashOrReject(deliver, () -> reject(deliver, tooManyQueued()));
    }
    Optional<JsonRpcError> refusal = refusal(deliver.message() instanceof JsonRpcMessage.Request)
        .or(() -> inFlightLimit(deliver.sessionId(), deliver.message()));
    if (refusal.isPresent()) {
      return reject(deliver, refusal.get());
    }
    lastActivityNanos = System.nanoTime();
    SessionRouting.Outcome outcome = routing.fromClient(deliver.sessionId(), deliver.message(), outbox);
    return outcome == SessionRouting.Outcome.ACCEPTED ? accept(deliver) : reject(deliver, stdinFull());
  }

  private Behavior<Command> accept(Deliver deliver) {
    deliver.replyTo().tell(Accepted.INSTANCE);
    return this;
  }

  private Behavior<Command> reject(Deliver deliver, JsonRpcError error) {
    initializeNotTaken(deliver.sessionId(), deliver.message());
    deliver.replyTo().tell(new Rejected(error));
    return this;
  }

  private Behavior<Command> onCall(Call call) {
    if (queuing()) {
      return stashOrReject(call, () -> call.replyTo().tell(new CallFailed(CallFailure.UNAVAILABLE, tooManyQueued())));
    }
    Optional<JsonRpcError> refusal = refusal(true);
    if (refusal.isPresent()) {
      call.replyTo().tell(new CallFailed(phase == Phase.EXITED ? CallFailure.SERVER_GONE : CallFailure.UNAVAILABLE,
          refusal.get()));
      return this;
    }
    int maxCalls = settings.limits().maxSessionsPerKey();
    if (directCalls.inFlight() >= maxCalls) {
      // each REST call is a short session of its own, so it counts against the same bound
      call.replyTo().tell(new CallFailed(CallFailure.UNAVAILABLE, new JsonRpcError(JsonRpcError.UNAVAILABLE,
          "limit reached: " + maxCalls + " REST calls in flight for server '" + spec.key() + "', the maximum")));
      return this;
    }
    lastActivityNanos = System.nanoTime();
    boolean listingTools = "tools/list".equals(call.method()) && (call.params() == null || call.params().isEmpty());
    if (listingTools && toolsCache != null) {
      call.replyTo().tell(new CallResult(toolsCache));
      return this;
    }
    String sessionId = directCalls.start(call.method(), call.params(), (id, outcome) -> {
      timers.cancel(new CallTimedOut(id));
      if (outcome.error() == null) {
        if (listingTools) {
          toolsCache = outcome.result();
        }
        call.replyTo().tell(new CallResult(outcome.result()));
      } else {
        call.replyTo().tell(new CallFailed(outcome.fromServer() ? CallFailure.SERVER_ERROR
            : outcome.error().code() == JsonRpcError.TIMEOUT ? CallFailure.TIMEOUT
            : outcome.error().code() == JsonRpcError.UNAVAILABLE ? CallFailure.UNAVAILABLE : CallFailure.SERVER_GONE,
            outcome.error()));
      }
    }, routing, outbox);
    if (sessionId == null) {
      call.replyTo().tell(new CallFailed(CallFailure.UNAVAILABLE, stdinFull()));
    } else {
      timers.startSingleTimer(new CallTimedOut(sessionId), new CallTimedOut(sessionId), call.timeout());
    }
    return this;
  }

  private Behavior<Command> onDirectDelivery(DirectDelivery delivery) {
    directCalls.deliver(delivery.sessionId(), delivery.message(), routing, outbox);
    closeStdinIfDrained();
    return this;
  }

  private Behavior<Command> onCallTimedOut(CallTimedOut timedOut) {
    // closing the pseudo-session sends notifications/cancelled for the request to the child
    directCalls.fail(timedOut.sessionId(), new JsonRpcError(JsonRpcError.TIMEOUT,
        "server '" + spec.key() + "' did not answer within the call timeout"), routing, outbox);
    closeStdinIfDrained();
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    String status = switch (phase) {
      case STARTING -> launchRequested ? "starting" : "waiting for a request";
      case RUNNING -> "running";
      case DRAINING -> "draining";
      case CLOSING, EXITED -> "stopping";
      case RESTARTING -> "restarting";
    };
    get.replyTo().tell(new Status(spec.key(), status, child == null ? -1 : child.pid(), sessions.size(),
        routing.inFlight(), Optional.ofNullable(startedAt), restarts, spec.shareProcess(),
        stderrTail.last(STDERR_LINES_IN_ERRORS)));
    return this;
  }

  private Behavior<Command> stashOrReject(Command command, Runnable reject) {
    if (stash.isFull()) {
      reject.run();
    } else {
      stash.stash(command);
    }
    return this;
  }

  /** Why a message cannot be taken now, if it cannot: requests are refused once a stop has begun. */
  private Optional<JsonRpcError> refusal(boolean isRequest) {
    if (phase == Phase.EXITED && goneReason != null) {
      return Optional.of(new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + spec.key() + "' " + goneReason));
    }
    if (phase != Phase.RUNNING && isRequest) {
      return Optional.of(new JsonRpcError(JsonRpcError.UNAVAILABLE,
          "server '" + spec.key() + "' is stopping and takes no new requests"));
    }
    return Optional.empty();
  }

  private Optional<JsonRpcError> inFlightLimit(String sessionId, JsonRpcMessage message) {
    int max = settings.limits().maxInFlightPerSession();
    if (message instanceof JsonRpcMessage.Request && routing.inFlightFor(sessionId) >= max) {
      return Optional.of(new JsonRpcError(JsonRpcError.UNAVAILABLE, "limit reached: " + max
          + " requests in flight for this session, the maximum"));
    }
    return Optional.empty();
  }

  private JsonRpcError stdinFull() {
    return new JsonRpcError(JsonRpcError.UNAVAILABLE, "server '" + spec.key() + "' is busy: its stdin buffer is full, retry later");
  }

  private JsonRpcError tooManyQueued() {
    return new JsonRpcError(JsonRpcError.UNAVAILABLE, "server '" + spec.key() + "' is still starting and has too many queued messages");
  }

  private Behavior<Command> onStop(Stop stop) {
    if (phase == Phase.STARTING && !launchRequested) {
      // no child was ever started: there is nothing to wait for
      stopMode = stop.mode();
      stopStartedAt = Instant.now();
      stopWaiters.add(stop.replyTo());
      return exited();
    }
    if (phase == Phase.STARTING) {
      stash.stash(stop);
      return this;
    }
    if (phase == Phase.RESTARTING) {
      // nothing runs between a crash and its restart: the stop is immediate
      stopMode = stop.mode();
      stopStartedAt = Instant.now();
      stopWaiters.add(stop.replyTo());
      return exited();
    }
    if (phase == Phase.EXITED) {
      stop.replyTo().tell(stopped());
      return this;
    }
    stopWaiters.add(stop.replyTo());
    if (stopMode == null || stop.mode() == StopMode.FORCE && stopMode == StopMode.GRACEFUL) {
      if (stopMode == null) {
        stopStartedAt = Instant.now();
        inFlightAtStop = routing.inFlight();
      }
      stopMode = stop.mode();
      getContext().getLog().info("server {} stop key={} pid={} in_flight={}",
          stop.mode() == StopMode.FORCE ? "forced" : "graceful", spec.key(), child.pid(), routing.inFlight());
    }
    if (stop.mode() == StopMode.FORCE) {
      failInFlight(new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + spec.key() + "' was force-stopped"));
      child.signal(true);
      child.closeStdin();
      phase = Phase.CLOSING;
    } else if (phase == Phase.RUNNING) {
      phase = Phase.DRAINING;
      timers.startSingleTimer(Timeout.DRAIN, settings.drainTimeout());
      closeStdinIfDrained();
    }
    return this;
  }

  private Behavior<Command> onStdoutInit(StdoutInit init) {
    init.ackTo().tell(StdoutAck.INSTANCE);
    return this;
  }

  private Behavior<Command> onStdoutFrames(StdoutFrames read) {
    if (read.generation() != restarts) {
      read.ackTo().tell(StdoutAck.INSTANCE); // a crashed predecessor's last words: read, not routed
      return this;
    }
    read.frames().forEach(this::onStdoutFrame);
    read.ackTo().tell(StdoutAck.INSTANCE);
    closeStdinIfDrained();
    if (phase == Phase.RUNNING && !stash.isEmpty() && !routing.replaying()) {
      return stash.unstashAll(this); // the replayed initialize was answered
    }
    return this;
  }

  private void onStdoutFrame(StdoutFrame frame) {
    if (frame instanceof StdoutFrame.Message m) {
      if (m.message() instanceof JsonRpcMessage.Notification n && "notifications/tools/list_changed".equals(n.method())) {
        toolsCache = null;
      }
      if (!routing.fromChild(m.message(), outbox)) {
        getContext().getLog().debug("key={} dropped a message with no recipient: {}", spec.key(), m.message());
      }
    } else if (frame instanceof StdoutFrame.Garbage g) {
      getContext().getLog().warn("key={} skipped a stdout line that is not JSON-RPC ({}): {}", spec.key(), g.reason(), g.preview());
    } else if (frame instanceof StdoutFrame.OverLimit o) {
      getContext().getLog().warn("key={} skipped a stdout line: {}; request id {}", spec.key(), o.reason(), o.id());
      if (o.id() != null) {
        routing.fromChild(JsonRpcMessage.failure(o.id(), new JsonRpcError(JsonRpcError.INTERNAL_ERROR,
            "the answer of server '" + spec.key() + "' was refused by the router: " + o.reason())), outbox);
      }
    } else if (frame instanceof StdoutFrame.Oversized o) {
      getContext().getLog().warn("key={} skipped a stdout line of {} bytes, over the limit of {} bytes"
          + " (mcprouter.stdio.max-line-bytes); request id {}",
          spec.key(), o.length(), settings.maxLineBytes(), o.id());
      if (o.id() != null) {
        routing.fromChild(JsonRpcMessage.failure(o.id(), new JsonRpcError(JsonRpcError.INTERNAL_ERROR,
            "the answer of server '" + spec.key() + "' was " + o.length() + " bytes, over the router's limit of "
                + settings.maxLineBytes() + " bytes")), outbox);
      }
    }
  }

  private Behavior<Command> onStderrEnded(StderrEnded ended) {
    if (ended.generation() != restarts) {
      return this;
    }
    stderrEnded = true;
    return exitCode != null && stdoutEnded && phase != Phase.EXITED ? exited() : this;
  }

  private Behavior<Command> onStdoutEnded(StdoutEnded ended) {
    if (ended.generation() != restarts) {
      return this;
    }
    stdoutEnded = true;
    if (exitCode != null) {
      return stderrEnded ? exited() : this;
    }
    if (phase == Phase.RUNNING || phase == Phase.DRAINING) {
      // a server that closes stdout can no longer answer: end it rather than leave requests hanging
      getContext().getLog().warn("key={} closed its stdout while running; stopping it", spec.key());
      child.signal(true);
      phase = Phase.CLOSING;
    }
    return this;
  }

  private Behavior<Command> onProcessExited(ProcessExited exited) {
    if (exited.generation() != restarts) {
      return this;
    }
    exitCode = exited.exitCode();
    getContext().getLog().info("server exited key={} pid={} code={} in_flight={}", spec.key(), child.pid(),
        exitCode, routing.inFlight());
    // whatever the group left behind may hold the stdout pipe open; nothing of it is wanted now
    child.signal(true);
    // the error report names the exit code and the last stderr lines: wait for both pipes to drain
    if (stdoutEnded && stderrEnded) {
      return exited();
    }
    timers.startSingleTimer(Timeout.EXIT_DRAIN, settings.exitDrain());
    return this;
  }

  private Behavior<Command> onTimeout(Timeout timeout) {
    switch (timeout) {
      case DRAIN -> {
        if (phase == Phase.DRAINING) {
          getContext().getLog().info("key={} drain timeout with {} requests in flight; closing stdin", spec.key(), routing.inFlight());
          closeStdin();
        }
      }
      case GRACE -> {
        if (exitCode == null) {
          getContext().getLog().info("key={} pid={} still running after stdin closed; sending SIGTERM", spec.key(), child.pid());
          child.signal(false);
          timers.startSingleTimer(Timeout.KILL, settings.killPeriod());
        }
      }
      case KILL -> {
        if (exitCode == null) {
          getContext().getLog().warn("key={} pid={} ignored SIGTERM; sending SIGKILL", spec.key(), child.pid());
          child.signal(true);
        }
      }
      case EXIT_DRAIN -> {
        if (phase != Phase.EXITED) {
          return exited();
        }
      }
      case SESSIONS_FLUSH -> {
        return Behaviors.stopped();
      }
      case RESTART -> {
        if (phase == Phase.RESTARTING) {
          phase = Phase.STARTING;
          startChild();
        }
      }
    }
    return this;
  }

  private Behavior<Command> onSessionEnded(SessionEnded ended) {
    lastActivityNanos = System.nanoTime();
    sessions.remove(ended.sessionId());
    routing.sessionClosed(ended.sessionId(), outbox);
    if (phase == Phase.EXITED) {
      return sessions.isEmpty() ? Behaviors.stopped() : this;
    }
    if (!spec.shareProcess() && sessions.isEmpty()) {
      releasePermit();
      if (!launchRequested) {
        return Behaviors.stopped(); // a legacy session that never sent a request: no child to stop
      }
    }
    if (!spec.shareProcess() && sessions.isEmpty() && phase == Phase.RUNNING) {
      stopMode = StopMode.GRACEFUL;
      closeStdin(); // its only client is gone: nobody is waiting for answers
    }
    return this;
  }

  private Behavior<Command> onTick() {
    if (phase != Phase.RUNNING && phase != Phase.DRAINING) {
      return this;
    }
    long now = System.nanoTime();
    long requestLimit = spec.requestTimeout().orElse(settings.requestTimeout()).toNanos();
    for (SessionRouting.InFlight request : routing.inFlightRequests()) {
      long waited = now - request.sentAtNanos();
      if ("initialize".equals(request.method()) && waited > settings.initializeTimeout().toNanos()) {
        return initializeTimedOut();
      }
      if (!"initialize".equals(request.method()) && waited > requestLimit) {
        timeOut(request);
      }
    }
    Duration idleLimit = spec.idleTimeout().orElse(settings.idleTimeout());
    if (phase == Phase.RUNNING && spec.shareProcess() && !idleLimit.isZero() && sessions.isEmpty()
        && routing.inFlight() == 0 && directCalls.inFlight() == 0 && now - lastActivityNanos > idleLimit.toNanos()) {
      getContext().getLog().info("server idle key={} pid={} for {}; stopping it", spec.key(), child.pid(), idleLimit);
      stopMode = StopMode.GRACEFUL;
      stopStartedAt = Instant.now();
      closeStdin();
    }
    closeStdinIfDrained();
    return this;
  }

  /** The client gets an error now; the child is told to stop working on it. */
  private void timeOut(SessionRouting.InFlight request) {
    Duration limit = spec.requestTimeout().orElse(settings.requestTimeout());
    getContext().getLog().warn("key={} request {} ({}) unanswered after {}; cancelled", spec.key(),
        request.childSideId(), request.method(), limit);
    routing.fromChild(JsonRpcMessage.failure(request.childSideId(), new JsonRpcError(JsonRpcError.TIMEOUT,
        "server '" + spec.key() + "' did not answer " + request.method() + " within " + limit.toMillis() + " ms")), outbox);
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.set("requestId", request.childSideId());
    params.put("reason", "mcprouter request timeout");
    outbox.toChild(new JsonRpcMessage.Notification("notifications/cancelled", params));
  }

  private Behavior<Command> initializeTimedOut() {
    goneReason = "did not answer initialize within " + settings.initializeTimeout().toMillis() + " ms";
    getContext().getLog().error("server failed to start key={} pid={} reason={}", spec.key(), child.pid(), goneReason);
    stopMode = StopMode.FORCE;
    failInFlight(new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + spec.key() + "' " + goneReason, diagnostics()));
    child.signal(true);
    child.closeStdin();
    phase = Phase.CLOSING;
    return this;
  }

  /** The child is gone: fail what is in flight, close every session, stop when they have flushed. */
  private Behavior<Command> exited() {
    if (phase != Phase.RESTARTING && stopMode == null && goneReason == null && spec.shareProcess() && !sessions.isEmpty()) {
      Behavior<Command> restarting = restartAfterCrash();
      if (restarting != null) {
        return restarting;
      }
    }
    phase = Phase.EXITED;
    timers.cancelAll();
    releasePermit();
    boolean failed = goneReason != null || stopMode == null;
    if (goneReason == null) {
      goneReason = stopMode == StopMode.FORCE ? "was force-stopped"
          : stopMode == StopMode.GRACEFUL ? "was stopped" : "exited with code " + exitCode;
    }
    JsonRpcError gone = new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + spec.key() + "' " + goneReason, diagnostics());
    lifecycle.tell(new ChildGone(getContext().getSelf(), failed, gone));
    failInFlight(gone);
    if (!stash.isEmpty()) {
      stash.unstashAll(this); // messages held for a restart that will not come: refused as the phase says
    }
    stopWaiters.forEach(waiter -> waiter.tell(stopped()));
    stopWaiters.clear();
    sessions.values().forEach(session -> session.actor().tell(new ClientSession.Close("server " + goneReason)));
    if (sessions.isEmpty()) {
      return Behaviors.stopped();
    }
    timers.startSingleTimer(Timeout.SESSIONS_FLUSH, SESSIONS_FLUSH_LIMIT);
    return this;
  }

  /**
   * A shared child with sessions crashed: fail what was in flight, keep the sessions, and start a new
   * child after a backoff (the Multiplexer replays initialize to it). Null when this is a crash loop.
   */
  private Behavior<Command> restartAfterCrash() {
    String reason = "exited with code " + exitCode;
    ObjectNode details = diagnostics();
    failInFlight(new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + spec.key() + "' " + reason, details));
    RestartPolicy.Decision decision = restartPolicy.crashed(System.nanoTime());
    if (decision.crashLoop()) {
      goneReason = "is crash-looping (" + decision.crashesInWindow() + " crashes within "
          + restartPolicy.window().toSeconds() + " s; last " + reason + ")";
      getContext().getLog().error("server failed key={} reason={}", spec.key(), goneReason);
      lifecycle.tell(new KeyFailed(spec.key(), Instant.now().plus(restartPolicy.window()),
          new JsonRpcError(JsonRpcError.SERVER_GONE, "server '" + spec.key() + "' " + goneReason, details)));
      return null;
    }
    restarts++;
    getContext().getLog().warn("server crashed key={} pid={} {}; restart {} in {} ms with {} sessions kept", spec.key(),
        child.pid(), reason, restarts, decision.backoff().toMillis(), sessions.size());
    timers.cancelAll();
    phase = Phase.RESTARTING;
    exitCode = null;
    stdoutEnded = false;
    stderrEnded = false;
    timers.startSingleTimer(Timeout.RESTART, decision.backoff());
    return this;
  }

  private Stopped stopped() {
    int failed = Math.min(failedAtStop, inFlightAtStop);
    return new Stopped(spec.key(), child == null ? -1 : child.pid(), Optional.ofNullable(exitCode),
        stopMode == null ? StopMode.GRACEFUL : stopMode, inFlightAtStop - failed, failed,
        stopStartedAt == null ? Duration.ZERO : Duration.between(stopStartedAt, Instant.now()));
  }

  private void failInFlight(JsonRpcError error) {
    List<JsonNode> ids = routing.inFlightIds();
    if (stopMode != null) {
      failedAtStop += ids.size();
    }
    ids.forEach(id -> routing.fromChild(JsonRpcMessage.failure(id, error), outbox));
    directCalls.failAll(error, routing, outbox);
  }

  private ObjectNode diagnostics() {
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    data.put("serverKey", spec.key());
    if (exitCode != null) {
      data.put("exitCode", exitCode);
    }
    if (spec.exposeStderr()) {
      // a child's stderr may carry any user's data: clients see it only where the operator opted in
      ArrayNode stderr = data.putArray("stderr");
      stderrTail.last(STDERR_LINES_IN_ERRORS).forEach(stderr::add);
    }
    return data;
  }

  private void closeStdinIfDrained() {
    if (phase == Phase.DRAINING && routing.inFlight() == 0) {
      closeStdin();
    }
  }

  /** MCP stdio shutdown: EOF on stdin first, signals only if the server does not exit by itself. */
  private void closeStdin() {
    phase = Phase.CLOSING;
    timers.cancel(Timeout.DRAIN);
    child.closeStdin();
    timers.startSingleTimer(Timeout.GRACE, settings.gracePeriod());
  }

  private Behavior<Command> releaseAll() {
    releasePermit();
    return releaseProcess();
  }

  private Behavior<Command> releaseProcess() {
    if (child != null) {
      child.release();
    }
    return this;
  }

  private static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return String.valueOf(t.getMessage());
  }


  private final class ToChildAndSessions implements SessionRouting.Outbox {
    @Override
    public boolean toChild(JsonRpcMessage message) {
      return child != null && phase != Phase.EXITED && child.send(message);
    }

    @Override
    public void toSession(String sessionId, JsonRpcMessage message) {
      AttachedSession session = sessions.get(sessionId);
      if (session != null) {
        session.deliver(message);
        if (!session.ready() && session.answersInitialize(message)) {
          releasePermit(); // the child is up: it no longer counts as starting
          readyIfComplete(sessionId, session);
        }
      } else if (DirectCalls.isDirect(sessionId)) {
        // through the mailbox, so the routing is never re-entered while it is routing
        getContext().getSelf().tell(new DirectDelivery(sessionId, message));
      }
    }
  }
}
