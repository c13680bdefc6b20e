package io.mcprouter.server;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.Outcome;
import io.mcprouter.server.ServerInstance.ChildGone;
import io.mcprouter.server.ServerInstance.Command;
import io.mcprouter.server.ServerInstance.Crashed;
import io.mcprouter.server.ServerInstance.GiveUp;
import io.mcprouter.server.ServerInstance.RestartAfter;
import io.mcprouter.server.ServerInstance.Stop;
import io.mcprouter.server.ServerInstance.StopMode;
import io.mcprouter.server.ServerInstance.Stopped;
import io.mcprouter.server.ServerInstance.Timeout;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How an instance's child ends and what follows: stops (graceful: drain, then EOF on stdin;
 * forced), request and initialize timeouts, a crash of a shared child with sessions (restarted
 * after the registry's backoff, or given up), and the end, when what is in flight fails and the
 * sessions flush and close. Each asker of a stop gets its report.
 */
final class StopAndRestart {

  /**
   * Sessions get this long to flush the errors of a dead child to their clients before they are
   * stopped.
   */
  private static final Duration SESSIONS_FLUSH_LIMIT = Duration.ofSeconds(5);

  private final InstanceState state;
  private final InstancePhases phases;
  private final StopProgress stop;
  private final RequestDeadlines deadlines;

  private String goneReason;

  /** Why it was stopped, when the stop said (a reload that removed the key). */
  private String stopReason;

  StopAndRestart(InstanceState state, InstancePhases phases) {
    this.state = state;
    this.phases = phases;
    this.stop = state.stop;
    this.deadlines =
        new RequestDeadlines(
            state.spec.key(),
            state.spec.requestTimeout().orElse(state.settings.requestTimeout()),
            state.settings.initializeTimeout(),
            state.clock,
            state.context.getLog(),
            state.observation);
  }

  // ------------------------------------------------------------------ stopping

  /**
   * No child runs (none started yet, or between a crash and its restart): the stop is immediate.
   */
  Behavior<Command> stopWithoutChild(Stop stopCommand) {
    stopCommand.reason().ifPresent(reason -> stopReason = reason);
    stop.begin(stopCommand.mode(), 0);
    stop.await(stopCommand.replyTo());
    return gone();
  }

  Behavior<Command> stopRunning(Stop stopCommand) {
    Behavior<Command> next = stopAgain(stopCommand);
    if (stopCommand.mode() == StopMode.GRACEFUL) {
      state.timers.startSingleTimer(Timeout.DRAIN, state.settings.drainTimeout());
      return state.routing.inFlight() == 0 ? closeStdin() : phases.draining();
    }
    return next;
  }

  /**
   * A stop while one runs: a forced one overtakes a graceful one; either way the asker is answered.
   */
  Behavior<Command> stopAgain(Stop stopCommand) {
    stopCommand.reason().ifPresent(reason -> stopReason = reason);
    stop.await(stopCommand.replyTo());
    if (stop.begin(stopCommand.mode(), state.routing.inFlight())) {
      state
          .context
          .getLog()
          .info(
              "server {} stop key={} pid={} in_flight={}",
              stopCommand.mode() == StopMode.FORCE ? "forced" : "graceful",
              state.spec.key(),
              state.pid,
              state.routing.inFlight());
    }
    if (stopCommand.mode() == StopMode.FORCE) {
      failInFlight(ServerErrors.gone(state.spec.key(), stopped("was force-stopped")));
      state.child.tell(new ChildProcess.Terminate(ChildProcess.Termination.NOW));
      return phases.closing();
    }
    return Behaviors.same();
  }

  Behavior<Command> closeStdinIfDrained() {
    return state.routing.inFlight() == 0 ? closeStdin() : Behaviors.same();
  }

  Behavior<Command> drainTimedOut() {
    state
        .context
        .getLog()
        .info(
            "key={} drain timeout with {} requests in flight; closing stdin",
            state.spec.key(),
            state.routing.inFlight());
    return closeStdin();
  }

  /**
   * MCP stdio shutdown: EOF on stdin first; the child actor signals only if the server does not
   * exit.
   */
  Behavior<Command> closeStdin() {
    state.timers.cancel(Timeout.DRAIN);
    state.child.tell(ChildProcess.CloseStdin.INSTANCE);
    return phases.closing();
  }

  /** A stop asked for once the child is gone: answered with the report of the stop that was. */
  Behavior<Command> replyStopped(Stop stopCommand) {
    stopCommand.replyTo().tell(stopReport());
    return Behaviors.same();
  }

  private Stopped stopReport() {
    return stop.report(state.spec.key(), state.pid, state.exitCode);
  }

  private void failInFlight(JsonRpcError error) {
    List<JsonNode> ids = state.routing.inFlightIds();
    stop.failed(ids.size());
    // the router answers for the child: a timeout has its own place (RequestDeadlines)
    state.observation.failing(Outcome.CHILD_GONE);
    ids.forEach(id -> state.routing.fromChild(JsonRpcMessage.failure(id, error), state.recipients));
    state.observation.doneFailing();
  }

  // ------------------------------------------------------------------ timeouts

  /** Request and initialize timeouts; a behavior when one of them ends the child. */
  Optional<Behavior<Command>> checkTimeouts() {
    return deadlines.check(state.routing, state.recipients)
        ? Optional.of(initializeTimedOut())
        : Optional.empty();
  }

  private Behavior<Command> initializeTimedOut() {
    goneReason =
        "did not answer initialize within " + deadlines.initializeLimit().toMillis() + " ms";
    state
        .context
        .getLog()
        .error(
            "server failed to start key={} pid={} reason={}",
            state.spec.key(),
            state.pid,
            goneReason);
    stop.begin(StopMode.FORCE, state.routing.inFlight());
    failInFlight(goneError());
    state.child.tell(new ChildProcess.Terminate(ChildProcess.Termination.NOW));
    return phases.closing();
  }

  // ------------------------------------------------------------------ the child's exit

  /** The child is gone (its handle already cleared): a crash to recover from, or the end. */
  Behavior<Command> childExited(ChildProcess.Exited exited) {
    if (exited.launchFailure().isPresent()) {
      goneReason = "could not be started: " + exited.launchFailure().get();
      return gone();
    }
    state.exitCode = exited.exitCode();
    state
        .context
        .getLog()
        .info(
            "server exited key={} pid={} code={} in_flight={}",
            state.spec.key(),
            state.pid,
            state.exitCode.map(String::valueOf).orElse("unknown"),
            state.routing.inFlight());
    if (!stop.begun()
        && goneReason == null
        && state.spec.shareProcess()
        && !state.sessions.isEmpty()) {
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
    String reason = "exited with code " + state.exitCode.map(String::valueOf).orElse("unknown");
    JsonRpcError crash = ServerErrors.gone(state.spec.key(), reason, diagnostics());
    failInFlight(crash);
    state.timers.cancelAll();
    state.timers.startSingleTimer(Timeout.RESTART, state.settings.restart().maxBackoff());
    state.lifecycle.tell(new Crashed(state.spec.key(), state.context.getSelf(), crash));
    return phases.restarting();
  }

  Behavior<Command> restartAfter(RestartAfter decision) {
    state.restarts++;
    if (state.metrics != null) {
      state.metrics.restarted(state.spec.key());
    }
    state
        .context
        .getLog()
        .warn(
            "server crashed key={} pid={} exited with code {}; restart {} in {} ms with {} sessions kept",
            state.spec.key(),
            state.pid,
            state.exitCode.map(String::valueOf).orElse("unknown"),
            state.restarts,
            decision.backoff().toMillis(),
            state.sessions.size());
    state.timers.startSingleTimer(Timeout.RESTART, decision.backoff());
    return Behaviors.same();
  }

  Behavior<Command> giveUp(GiveUp decision) {
    goneReason = decision.reason();
    state.context.getLog().error("server failed key={} reason={}", state.spec.key(), goneReason);
    return gone();
  }

  /**
   * The child is gone: fail what is in flight, close every session, stop when they have flushed.
   */
  private Behavior<Command> gone() {
    state.timers.cancelAll();
    state.releasePermit();
    boolean failed = goneReason != null || !stop.begun();
    if (goneReason == null) {
      goneReason =
          stop.forced()
              ? stopped("was force-stopped")
              : stop.begun()
                  ? stopped("was stopped")
                  : "exited with code " + state.exitCode.map(String::valueOf).orElse("unknown");
    }
    JsonRpcError gone = goneError();
    state.lifecycle.tell(new ChildGone(state.context.getSelf(), failed, gone));
    failInFlight(gone);
    Behavior<Command> exited = phases.exited();
    if (!state.stash.isEmpty()) {
      // messages held for a child that will not come: refused as gone
      state.stash.unstashAll(exited);
    }
    stop.answer(stopReport());
    if (stopReason != null) {
      // a session with nothing in flight would otherwise see only its stream end
      state.sessions.deliverToAll(closeNotice(goneError().message()));
    }
    state.sessions.closeAll("server " + goneReason);
    if (state.sessions.isEmpty()) {
      return Behaviors.stopped();
    }
    state.timers.startSingleTimer(Timeout.SESSIONS_FLUSH, SESSIONS_FLUSH_LIMIT);
    return exited;
  }

  /** An MCP log message, the one notification every client shows or logs. */
  private static JsonRpcMessage closeNotice(String reason) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("level", "warning");
    params.put("logger", "mcprouter");
    params.put("data", reason + "; this session is closed");
    return new JsonRpcMessage.Notification("notifications/message", params);
  }

  private String stopped(String how) {
    return stopReason == null ? how : stopReason;
  }

  /** The request timeout may have changed (a reload): requests in flight are held to it too. */
  void settingsChanged() {
    deadlines.requestLimit(state.spec.requestTimeout().orElse(state.settings.requestTimeout()));
  }

  JsonRpcError goneError() {
    return ServerErrors.gone(state.spec.key(), goneReason, diagnostics());
  }

  private ObjectNode diagnostics() {
    return ServerErrors.diagnostics(
        state.spec.key(),
        state.exitCode,
        state.spec.exposeStderr(),
        state.stderrTail.last(ServerInstance.STDERR_LINES_IN_ERRORS));
  }
}
