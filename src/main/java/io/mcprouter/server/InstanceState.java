package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.child.StderrTail;
import io.mcprouter.child.StdioConnection;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.InstanceObservation;
import io.mcprouter.observe.McpMetrics;
import io.mcprouter.observe.Observability;
import io.mcprouter.routing.ModernChildBridge;
import io.mcprouter.routing.Multiplexer;
import io.mcprouter.routing.Passthrough;
import io.mcprouter.routing.SessionRouting;
import io.mcprouter.server.ServerInstance.Command;
import io.mcprouter.server.ServerInstance.Lifecycle;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What the phases of one {@link ServerInstance} share: the actor's context, stash and timers, its
 * sessions and their routing to and from the child, the handle of the current child process and the
 * stop in progress. Only the instance's own thread touches it.
 */
final class InstanceState {

  final ActorContext<Command> context;

  /**
   * What it runs; a reload changes the settings taken in place ({@link ServerSpec#withSettingsOf}).
   */
  ServerSpec spec;

  final RouterSettings settings;
  final ActorRef<Lifecycle> lifecycle;
  final StartPermits permits;
  final LongSupplier clock;
  final StashBuffer<Command> stash;
  final TimerScheduler<Command> timers;
  final SessionRouting routing;

  /** Told of every client request routed and answered (metrics, call log, tracer). */
  final InstanceObservation observation;

  /** The router's metrics; null when they are off. */
  final McpMetrics metrics;

  /** When the current child started, until it answered its first initialize; else -1. */
  long startedNanos = -1;

  /** Between the routing and the child: bridges to a child that speaks MCP 2026-07-28. */
  final ModernChildBridge bridge = new ModernChildBridge(new ToChildAndSessions());

  final SessionRouting.Recipients recipients = bridge;
  final InstanceSessions sessions;
  final StopProgress stop = new StopProgress();
  final StderrTail stderrTail;

  /** The child actor of the current generation; null while none runs. */
  ActorRef<ChildProcess.Command> child;

  /** The current child's stdin, once it has started; null while none runs. */
  StdioConnection.Handle stdin;

  long pid = -1;
  Optional<Integer> exitCode = Optional.empty();
  int restarts;

  /**
   * A per-session child holds a start permit from launch until it has answered initialize or is
   * gone.
   */
  boolean holdsPermit;

  /**
   * A spare waiting for its session: its child runs without one (see {@link
   * ServerInstance.HoldAsSpare}).
   */
  boolean spare;

  /**
   * A reload changed how the key is launched: this instance takes no new sessions (the registry
   * sends them to a new one) and ends once its last session has.
   */
  boolean retired;

  InstanceState(ActorContext<Command> context, ServerInstance.InstanceParts parts) {
    this.context = context;
    this.spec = parts.spec();
    this.settings = parts.settings();
    this.lifecycle = parts.lifecycle();
    this.permits = parts.permits();
    this.clock = parts.clock();
    this.stash = parts.stash();
    this.timers = parts.timers();
    Observability observability = parts.observability();
    this.metrics = observability.metrics();
    this.observation = observability.forInstance(spec.key(), spec.logPayloads(), clock);
    this.routing =
        spec.shareProcess()
            ? new Multiplexer(
                spec.key(),
                spec.interactive(),
                spec.roots(),
                settings.stdinBufferMessages(),
                clock,
                observation)
            : new Passthrough(clock, observation);
    this.stderrTail = new StderrTail(settings.stderrTailLines());
    this.sessions = new InstanceSessions(lifecycle, this::childAnswered);
  }

  /** A session's initialize was answered: the child is up. */
  private void childAnswered() {
    releasePermit();
    if (startedNanos >= 0 && metrics != null) {
      metrics.initialized(spec.key(), clock.getAsLong() - startedNanos);
    }
    startedNanos = -1;
  }

  void releasePermit() {
    if (holdsPermit) {
      holdsPermit = false;
      permits.release(spec.key());
    }
  }

  /** A refused offer because stdin is gone (closed, or its pipe broke), not because it is full. */
  boolean stdinGone() {
    return stdin != null && stdin.gone();
  }

  Behavior<Command> stashOr(Command command, Runnable reject) {
    if (stash.isFull()) {
      reject.run();
    } else {
      stash.stash(command);
    }
    return Behaviors.same();
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
