package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.child.StdoutFrame;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.Observability;
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
 *
 * <p>Here are the protocol and the creation; {@link InstancePhases} is the actor, the table of
 * which message each phase takes and where it leads. The work is done by {@link CurrentChild} (the
 * child's launch, start and exit), {@link SessionTraffic} (sessions and their messages) and {@link
 * StopAndRestart} (stops, crashes and the end), over the state they share in {@link InstanceState}.
 */
public final class ServerInstance {

  public sealed interface Command {}

  /**
   * Spawns a {@link ClientSession} writing to {@code outbound}; {@code first} is a message that
   * came with the opening (Streamable HTTP's initialize), routed as if delivered right after.
   */
  public record OpenSession(
      String sessionId,
      Outbound outbound,
      Optional<JsonRpcMessage> first,
      SessionDirectory.Transport transport,
      ActorRef<OpenSessionReply> replyTo)
      implements Command {

    /** A Streamable HTTP session's (tests). */
    public OpenSession(
        String sessionId,
        Outbound outbound,
        Optional<JsonRpcMessage> first,
        ActorRef<OpenSessionReply> replyTo) {
      this(sessionId, outbound, first, SessionDirectory.Transport.STREAMABLE, replyTo);
    }
  }

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

  /**
   * {@code reason}: what the sessions and the requests still in flight are told, in place of "was
   * stopped" (a reload that removed the key says so).
   */
  public record Stop(StopMode mode, Optional<String> reason, ActorRef<Stopped> replyTo)
      implements Command {
    public Stop(StopMode mode, ActorRef<Stopped> replyTo) {
      this(mode, Optional.empty(), replyTo);
    }
  }

  /**
   * A reload changed the key's settings that a running instance takes in place (timeouts,
   * description, expose_stderr); what it was launched with stays.
   */
  record UpdateSettings(ServerSpec next) implements Command {}

  /**
   * A reload changed how the key's children are launched: the registry sends new sessions to a new
   * instance; this one lets its sessions finish on its child, then stops.
   */
  enum Retire implements Command {
    INSTANCE
  }

  /** A session's call waits for its client's input, or no longer does (multi round-trip). */
  public record SessionParked(String sessionId, boolean parked) implements Command {}

  /**
   * A per-session instance started ahead of its session (a spare, {@code spare_children}): its
   * child is kept running without one until the next session of its key takes it.
   */
  public enum HoldAsSpare implements Command {
    INSTANCE
  }

  /** The registry's answer to {@link Crashed}: start a new child after {@code backoff}. */
  public record RestartAfter(Duration backoff) implements Command {}

  /** The registry's answer to {@link Crashed}: the key crash-loops; {@code reason} says how. */
  public record GiveUp(String reason) implements Command {}

  // The private protocol: only the instance, its child actor, stdout sink and timers send these
  // (package-private for the classes that do the phases' work).

  record FromChild(ChildProcess.Report report) implements Command {}

  /** The child actor ended without reporting an exit (a bug in it): treated as a crash. */
  record ChildStopped(int generation) implements Command {}

  record StdoutInit(ActorRef<StdoutAck> ackTo) implements Command {}

  // generation: which child the frames come from; a restarted server ignores its predecessor's
  record StdoutFrames(int generation, ActorRef<StdoutAck> ackTo, List<StdoutFrame> frames)
      implements Command {}

  enum StdoutAck {
    INSTANCE
  }

  record StdoutEnded(int generation) implements Command {}

  enum Timeout implements Command {
    /** The child did not answer the {@code server/discover} that asks it its era. */
    PROBE,
    DRAIN,
    SESSIONS_FLUSH,
    RESTART
  }

  /**
   * Periodic: request, initialize and idle timeouts are checked on it (one timer, not one per
   * request).
   */
  enum Tick implements Command {
    INSTANCE
  }

  record SessionEnded(String sessionId) implements Command {}

  /** The message that opened a session; a refusal is answered on the session's own stream. */
  record DeliverFirst(String sessionId, JsonRpcMessage message) implements Command {}

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
   * One running child as the instance reports it, and as the operator's listing ({@code control})
   * passes it on. {@code stderrTail}: the child's last stderr lines, for operators only (a shared
   * child's stderr may hold any of its users' data), never for a key's users.
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
      List<String> stderrTail) {

    public Status {
      stderrTail = List.copyOf(stderrTail);
    }
  }

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

  /** What a child of the key turned out to speak: its successors are started knowing it. */
  public record EraLearned(String key, ServerSpec.ChildProtocol protocol) implements Lifecycle {}

  /**
   * The session completed the MCP handshake: initialize answered, notifications/initialized
   * received.
   */
  public record SessionReady(String sessionId) implements Lifecycle {}

  static final int STDERR_LINES_IN_ERRORS = 20;

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
    return create(
        spec, settings, lifecycle, permits, startNow, launcher, clock, Observability.off());
  }

  /** {@code observability}: the router's metrics, call log and tracer, told of every request. */
  public static Behavior<Command> create(
      ServerSpec spec,
      RouterSettings settings,
      ActorRef<Lifecycle> lifecycle,
      StartPermits permits,
      boolean startNow,
      ChildLauncher launcher,
      LongSupplier clock,
      Observability observability) {
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
                                  spec,
                                  settings,
                                  lifecycle,
                                  permits,
                                  launcher,
                                  clock,
                                  stash,
                                  timers,
                                  observability);
                          return new InstancePhases(context, parts)
                              .begin(startNow, handedOver.getAndSet(false));
                        })));
  }

  /** What an instance is built from; a record so the constructors stay readable. */
  record InstanceParts(
      ServerSpec spec,
      RouterSettings settings,
      ActorRef<Lifecycle> lifecycle,
      StartPermits permits,
      ChildLauncher launcher,
      LongSupplier clock,
      StashBuffer<Command> stash,
      TimerScheduler<Command> timers,
      Observability observability) {}

  private ServerInstance() {}
}
