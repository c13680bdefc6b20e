package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.child.StdoutFrame;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.modern.ModernAnswers;
import io.mcprouter.server.ServerInstance.ChildStopped;
import io.mcprouter.server.ServerInstance.Command;
import io.mcprouter.server.ServerInstance.FromChild;
import io.mcprouter.server.ServerInstance.StdoutAck;
import io.mcprouter.server.ServerInstance.StdoutEnded;
import io.mcprouter.server.ServerInstance.StdoutFrames;
import io.mcprouter.server.ServerInstance.StdoutInit;
import io.mcprouter.server.ServerInstance.StopMode;
import io.mcprouter.server.ServerInstance.Tick;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The instance's child process, one generation at a time: its launch (with a start permit for a
 * per-session child), its start (and the replay of the cached initialize to a restarted one before
 * anything else reaches it), its stdout and its exit, which {@link StopAndRestart} makes sense of.
 * Reports and stdout frames of an earlier generation are ignored.
 */
final class CurrentChild {

  private final InstanceState state;
  private final InstancePhases phases;
  private final StopAndRestart ending;
  private final ChildLauncher launcher;
  private final ActorRef<ChildProcess.Report> reports;
  private final ChildOutput childOutput;

  private int generation;

  /** Asked {@code server/discover} and waiting for its answer. */
  private boolean probing;

  /** A child of this instance did not speak 2026-07-28: its successors are not asked again. */
  private boolean legacyChild;

  private static final JsonNode PROBE_ID = TextNode.valueOf("mcprouter-discover");

  /** A Node server answers in milliseconds once started; a stuck one is restarted after this. */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

  private Instant startedAt;
  private boolean stdoutEnded;

  /**
   * An exit reported before the stdout sink delivered the child's last frames: handled after them.
   */
  private ChildProcess.Exited pendingExit;

  /** This generation counts in mcprouter_children_running. */
  private boolean runningCounted;

  /** The child was told to end because its stdin is gone (once per generation). */
  private boolean endingUnreachableChild;

  private boolean childGone;

  CurrentChild(
      InstanceState state,
      InstancePhases phases,
      StopAndRestart ending,
      ChildLauncher launcher,
      Runnable toolsChanged) {
    this.state = state;
    this.phases = phases;
    this.ending = ending;
    this.launcher = launcher;
    this.reports = state.context.messageAdapter(ChildProcess.Report.class, FromChild::new);
    // the bridge's own answers come back as the current child's output, after what caused them
    state.bridge.answerWith(
        message ->
            state
                .context
                .getSelf()
                .tell(
                    new StdoutFrames(
                        generation,
                        state.context.getSystem().ignoreRef(),
                        List.of(new StdoutFrame.Message(message)))));
    this.childOutput =
        new ChildOutput(
            state.spec.key(),
            state.settings.maxLineBytes(),
            state.context.getLog(),
            state.routing,
            state.recipients,
            toolsChanged,
            state.observation);
  }

  /** The pid, or -1 once the child is gone. */
  long livePid() {
    return childGone ? -1 : state.pid;
  }

  Optional<Instant> startedAt() {
    return Optional.ofNullable(startedAt);
  }

  /**
   * The first child, launched with the instance; {@code permitHandedOver}: the caller holds a start
   * permit for it.
   */
  Behavior<Command> launchAtOnce(boolean permitHandedOver) {
    state.holdsPermit =
        !state.spec.shareProcess()
            && (permitHandedOver || state.permits.tryAcquire(state.spec.key()));
    return launch();
  }

  Behavior<Command> launch() {
    int launched = ++generation;
    stdoutEnded = false;
    pendingExit = null;
    childGone = false;
    endingUnreachableChild = false;
    state.stdin = null;
    state.exitCode = Optional.empty();
    ChildProcess.StdoutTarget<Command, StdoutAck> target =
        new ChildProcess.StdoutTarget<>(
            state.context.getSelf(),
            (ackTo, frames) -> new StdoutFrames(launched, ackTo, frames),
            StdoutInit::new,
            StdoutAck.INSTANCE,
            new StdoutEnded(launched),
            failure -> new StdoutEnded(launched));
    state.child =
        state.context.spawn(
            launcher.launch(
                launched, state.stderrTail, target, state.observation::toChild, reports),
            "child-" + launched);
    state.context.watchWith(state.child, new ChildStopped(launched));
    return phases.starting();
  }

  /**
   * The first message of a session whose child was not started yet: start it, if a permit is free.
   */
  Behavior<Command> launchFor(Command message, Runnable refused) {
    if (!state.spec.shareProcess()) {
      if (!state.permits.tryAcquire(state.spec.key())) {
        state
            .context
            .getLog()
            .warn(
                "child start refused key={} reason={}",
                state.spec.key(),
                state.permits.refusal(state.spec.key()));
        refused.run();
        return Behaviors.same();
      }
      state.holdsPermit = true;
    }
    state.stash.stash(message);
    return launch();
  }

  JsonRpcError refusedStart() {
    return new JsonRpcError(JsonRpcError.UNAVAILABLE, state.permits.refusal(state.spec.key()));
  }

  /**
   * A child that closed its stdin on its own can never be asked again: it is ended, unless a stop
   * is already ending it.
   */
  void endIfUnreachable() {
    if (!state.stop.begun() && !endingUnreachableChild && state.child != null) {
      endingUnreachableChild = true;
      state
          .context
          .getLog()
          .warn("key={} pid={} its stdin is closed; stopping it", state.spec.key(), state.pid);
      state.child.tell(new ChildProcess.Terminate(ChildProcess.Termination.NOW));
    }
  }

  Behavior<Command> routeFrames(StdoutFrames read) {
    if (read.generation() == generation) {
      childOutput.handle(read.frames());
    } // else a crashed predecessor's last words: read, not routed
    read.ackTo().tell(StdoutAck.INSTANCE);
    return Behaviors.same();
  }

  /** MCP: nothing but pings before the server has answered initialize. */
  Behavior<Command> routeFramesUntilInitialized(StdoutFrames read) {
    routeFrames(read);
    return state.routing.replaying() ? Behaviors.same() : state.stash.unstashAll(phases.running());
  }

  Behavior<Command> onFromChild(FromChild fromChild) {
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
    state.pid = started.pid();
    state.stdin = started.stdin();
    startedAt = Instant.now();
    state.startedNanos = state.clock.getAsLong();
    state.observation.childPid(started.pid());
    state.observation.stdin(started.stdin()::queued);
    if (state.metrics != null) {
      state.metrics.childStarted(state.spec.key());
      runningCounted = true;
    }
    state.timers.startTimerWithFixedDelay(Tick.INSTANCE, state.settings.checkInterval());
    if (!state.spec.shareProcess() && state.sessions.isEmpty() && !state.spare) {
      // its session ended (or its open failed) while the child was starting: nobody will use it
      state
          .context
          .getLog()
          .info(
              "key={} pid={} its session ended while it started; stopping it",
              state.spec.key(),
              state.pid);
      state.stop.begin(StopMode.GRACEFUL, 0);
      return state.stash.unstashAll(ending.closeStdin());
    }
    if (state.spare) {
      state.releasePermit(); // started: a spare no longer counts against the starting children
    }
    if (state.spec.protocol() != ServerSpec.ChildProtocol.LEGACY
        && !legacyChild
        && !state.bridge.bridging()) {
      return probeEra();
    }
    return afterStart();
  }

  /**
   * Asks the new child {@code server/discover}: a 2026-07-28 server answers it, a 2025 one answers
   * an error (or nothing). Until then the sessions' messages wait in the stash.
   */
  private Behavior<Command> probeEra() {
    probing = true;
    if (!state.stdin.offer(ModernAnswers.discoverProbe(PROBE_ID))) {
      return legacyAfterProbe("its stdin did not take the probe");
    }
    state.timers.startSingleTimer(ServerInstance.Timeout.PROBE, PROBE_TIMEOUT);
    return Behaviors.same();
  }

  /** The child's output while its era is asked: only the probe's answer counts. */
  Behavior<Command> probeFrames(StdoutFrames read) {
    read.ackTo().tell(StdoutAck.INSTANCE);
    if (read.generation() != generation || !probing) {
      return Behaviors.same();
    }
    for (StdoutFrame frame : read.frames()) {
      if (frame instanceof StdoutFrame.Message m
          && m.message() instanceof JsonRpcMessage.Response answer
          && PROBE_ID.equals(answer.id())) {
        probing = false;
        state.timers.cancel(ServerInstance.Timeout.PROBE);
        if (!ModernAnswers.speaksModern(answer)) {
          return legacyAfterProbe("it answered server/discover with an error");
        }
        state.bridge.modernChild(answer.result());
        state
            .context
            .getLog()
            .info("server speaks MCP 2026-07-28 key={} pid={}", state.spec.key(), state.pid);
        return afterStart();
      }
    }
    return Behaviors.same(); // what a 2025 child writes before it has a client is nobody's
  }

  /**
   * No answer: the child may be stuck on a request it did not expect before initialize, so it is
   * replaced by a fresh one, initialized as a 2025-era server without being asked again.
   */
  Behavior<Command> probeTimedOut() {
    if (!probing) {
      return Behaviors.same();
    }
    probing = false;
    learnedLegacy();
    state
        .context
        .getLog()
        .warn(
            "server did not answer server/discover key={} pid={} within {}; starting it again as"
                + " a 2025-era server",
            state.spec.key(),
            state.pid,
            PROBE_TIMEOUT);
    state.child.tell(new ChildProcess.Terminate(ChildProcess.Termination.NOW));
    return launch();
  }

  private void learnedLegacy() {
    legacyChild = true;
    state.lifecycle.tell(
        new ServerInstance.EraLearned(state.spec.key(), ServerSpec.ChildProtocol.LEGACY));
  }

  private Behavior<Command> legacyAfterProbe(String why) {
    probing = false;
    learnedLegacy();
    if (state.spec.protocol() == ServerSpec.ChildProtocol.MODERN) {
      state
          .context
          .getLog()
          .error(
              "server is not a 2026-07-28 server key={} pid={}: {} (protocol = \"modern\");"
                  + " serving it as a 2025-era server",
              state.spec.key(),
              state.pid,
              why);
    }
    return afterStart();
  }

  private Behavior<Command> afterStart() {
    if (state.restarts > 0) {
      state.routing.childReplaced(state.recipients);
      if (state.routing.replaying()) {
        // the sessions' messages wait until the replayed initialize is answered
        return phases.reinitializing();
      }
    }
    return state.stash.unstashAll(phases.running());
  }

  Behavior<Command> onStdoutEnded(StdoutEnded ended) {
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

  Behavior<Command> onChildStopped(ChildStopped stopped) {
    if (stopped.generation() != generation || childGone || pendingExit != null) {
      return Behaviors.same(); // its exit was reported (and may wait for the last stdout frames)
    }
    state
        .context
        .getLog()
        .error(
            "key={} the actor of child pid={} ended without its exit", state.spec.key(), state.pid);
    return childExited(
        new ChildProcess.Exited(generation, Optional.empty(), Optional.empty(), false));
  }

  private Behavior<Command> childExited(ChildProcess.Exited exited) {
    if (probing) {
      // ended by the question, maybe: its successor is not asked again, and is initialized
      probing = false;
      state.timers.cancel(ServerInstance.Timeout.PROBE);
      learnedLegacy();
    }
    if (state.metrics != null) {
      String cause =
          exited.launchFailure().isPresent()
              ? "launch_failed"
              : state.stop.begun() ? "stopped" : "crashed";
      state.metrics.childExited(state.spec.key(), cause, runningCounted);
      runningCounted = false;
    }
    state.startedNanos = -1;
    childGone = true;
    state.child = null;
    state.stdin = null;
    state.observation.stdin(null);
    pendingExit = null;
    state.timers.cancel(Tick.INSTANCE);
    return ending.childExited(exited);
  }
}
