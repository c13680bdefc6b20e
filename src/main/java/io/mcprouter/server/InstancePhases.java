package io.mcprouter.server;

import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.PreRestart;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.ReceiveBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import io.mcprouter.server.ServerInstance.CacheTools;
import io.mcprouter.server.ServerInstance.CachedTools;
import io.mcprouter.server.ServerInstance.ChildStopped;
import io.mcprouter.server.ServerInstance.Command;
import io.mcprouter.server.ServerInstance.Deliver;
import io.mcprouter.server.ServerInstance.DeliverFirst;
import io.mcprouter.server.ServerInstance.FromChild;
import io.mcprouter.server.ServerInstance.GetCachedTools;
import io.mcprouter.server.ServerInstance.GetStatus;
import io.mcprouter.server.ServerInstance.GiveUp;
import io.mcprouter.server.ServerInstance.OpenSession;
import io.mcprouter.server.ServerInstance.RestartAfter;
import io.mcprouter.server.ServerInstance.SessionEnded;
import io.mcprouter.server.ServerInstance.Status;
import io.mcprouter.server.ServerInstance.StdoutAck;
import io.mcprouter.server.ServerInstance.StdoutEnded;
import io.mcprouter.server.ServerInstance.StdoutFrames;
import io.mcprouter.server.ServerInstance.StdoutInit;
import io.mcprouter.server.ServerInstance.Stop;
import io.mcprouter.server.ServerInstance.Tick;
import io.mcprouter.server.ServerInstance.Timeout;
import java.util.Optional;

/**
 * The actor of a {@link ServerInstance}: one {@link Receive} per phase, in the style of Akka's FSM
 * sample, saying which message the phase takes, who handles it and where it leads; a phase simply
 * has no handler for what it cannot take. The handlers are in {@link CurrentChild}, {@link
 * SessionTraffic} and {@link StopAndRestart}; what every phase answers the same way (status, the
 * tools cache, stray stdout) is here.
 */
final class InstancePhases extends AbstractBehavior<Command> {

  private final InstanceState state;
  private final CurrentChild child;
  private final SessionTraffic traffic;
  private final StopAndRestart ending;

  private String status = "waiting for a request";
  private JsonNode toolsCache;
  private long toolsVersion;

  InstancePhases(ActorContext<Command> context, ServerInstance.InstanceParts parts) {
    super(context);
    // phases are Receives of their own: without this the log would name Akka's actor cell
    context.setLoggerName(ServerInstance.class);
    this.state = new InstanceState(context, parts);
    this.ending = new StopAndRestart(state, this);
    this.child = new CurrentChild(state, this, ending, parts.launcher(), this::toolsChanged);
    this.traffic = new SessionTraffic(state, child, ending);
  }

  Behavior<Command> begin(boolean startNow, boolean permitHandedOver) {
    return startNow ? child.launchAtOnce(permitHandedOver) : waiting();
  }

  private Behavior<Command> holdAsSpare() {
    state.spare = state.sessions.isEmpty();
    return Behaviors.same();
  }

  @Override
  public Receive<Command> createReceive() {
    return waiting(); // not used: begin() picks the first phase
  }

  /** A per-session server whose client has sent nothing yet: no process runs. */
  private Receive<Command> waiting() {
    status = "waiting for a request";
    return withCommon(
        newReceiveBuilder()
            .onMessage(OpenSession.class, traffic::openSession)
            .onMessage(Deliver.class, traffic::deliverWaiting)
            .onMessage(DeliverFirst.class, traffic::deliverFirstWaiting)
            .onMessage(Stop.class, ending::stopWithoutChild)
            .onMessage(SessionEnded.class, traffic::sessionEndedWaiting));
  }

  /** The child is being launched off-thread; clients' messages wait in the stash. */
  Receive<Command> starting() {
    status = "starting";
    return withCommon(
        waitingForChild()
            .onMessage(Stop.class, this::stashStop)
            .onMessage(StdoutFrames.class, child::probeFrames)
            .onMessageEquals(Timeout.PROBE, child::probeTimedOut)
            .onMessage(SessionEnded.class, traffic::sessionEnded));
  }

  /**
   * A new child after a crash, being sent the cached initialize before anything else reaches it.
   */
  Receive<Command> reinitializing() {
    status = "running";
    return withCommon(
        waitingForChild()
            .onMessage(Stop.class, this::stashStop)
            .onMessage(StdoutFrames.class, child::routeFramesUntilInitialized)
            .onMessageEquals(Tick.INSTANCE, () -> ending.checkTimeouts().orElse(Behaviors.same()))
            .onMessage(SessionEnded.class, traffic::sessionEnded));
  }

  Receive<Command> running() {
    status = "running";
    return withCommon(
        newReceiveBuilder()
            .onMessage(OpenSession.class, traffic::openSession)
            .onMessage(Deliver.class, traffic::deliverRunning)
            .onMessage(DeliverFirst.class, traffic::deliverFirstRunning)
            .onMessage(Stop.class, ending::stopRunning)
            .onMessage(StdoutFrames.class, child::routeFrames)
            .onMessageEquals(
                Tick.INSTANCE, () -> ending.checkTimeouts().orElseGet(traffic::idleCheck))
            .onMessage(SessionEnded.class, traffic::sessionEndedRunning)
            .onMessageEquals(ServerInstance.Retire.INSTANCE, traffic::retireRunning));
  }

  /** A graceful stop: no new requests; those in flight get until the drain timeout to finish. */
  Receive<Command> draining() {
    status = "draining";
    return withCommon(
        stopping()
            .onMessage(
                StdoutFrames.class,
                read -> {
                  child.routeFrames(read);
                  return ending.closeStdinIfDrained();
                })
            .onMessageEquals(
                Tick.INSTANCE, () -> ending.checkTimeouts().orElseGet(ending::closeStdinIfDrained))
            .onMessageEquals(Timeout.DRAIN, ending::drainTimedOut)
            .onMessage(SessionEnded.class, traffic::sessionEnded));
  }

  /** Stdin is closed; the child actor sends SIGTERM, then SIGKILL, if the process does not exit. */
  Receive<Command> closing() {
    status = "stopping";
    return withCommon(
        stopping()
            .onMessage(StdoutFrames.class, child::routeFrames)
            .onMessage(SessionEnded.class, traffic::sessionEnded));
  }

  /** Between a crash of a shared child and its restart: sessions stay, messages wait. */
  Receive<Command> restarting() {
    status = "restarting";
    return withCommon(
        waitingForChild()
            // nothing runs between a crash and its restart
            .onMessage(Stop.class, ending::stopWithoutChild)
            .onMessage(RestartAfter.class, ending::restartAfter)
            .onMessage(GiveUp.class, ending::giveUp)
            .onMessageEquals(Timeout.RESTART, child::launch)
            .onMessage(SessionEnded.class, traffic::sessionEnded));
  }

  /**
   * The child is gone: what was in flight has failed; the sessions flush their errors and close.
   */
  Receive<Command> exited() {
    status = "stopping";
    return withCommon(
        newReceiveBuilder()
            .onMessage(OpenSession.class, traffic::refuseOpen)
            .onMessage(Deliver.class, traffic::deliverGone)
            .onMessage(DeliverFirst.class, traffic::deliverFirstGone)
            .onMessage(Stop.class, ending::replyStopped)
            .onMessage(SessionEnded.class, traffic::sessionEndedGone)
            .onMessageEquals(Timeout.SESSIONS_FLUSH, Behaviors::stopped));
  }

  /**
   * What the phases that wait for a child share: sessions open, their messages wait in the stash.
   */
  private ReceiveBuilder<Command> waitingForChild() {
    return newReceiveBuilder()
        .onMessage(OpenSession.class, traffic::openSession)
        .onMessage(Deliver.class, traffic::deliverQueued)
        .onMessage(DeliverFirst.class, traffic::deliverFirstQueued);
  }

  /** What draining and closing share: no new sessions or requests; notifications still pass. */
  private ReceiveBuilder<Command> stopping() {
    return newReceiveBuilder()
        .onMessage(OpenSession.class, traffic::refuseOpen)
        .onMessage(Deliver.class, traffic::deliverStopping)
        .onMessage(DeliverFirst.class, traffic::deliverFirstStopping)
        .onMessage(Stop.class, ending::stopAgain);
  }

  /** Handlers every phase has; a phase's own handlers come first and win. */
  private Receive<Command> withCommon(ReceiveBuilder<Command> phase) {
    return phase
        .onMessageEquals(ServerInstance.HoldAsSpare.INSTANCE, this::holdAsSpare)
        // in the other phases only noted: running checks it on every tick and session end
        .onMessageEquals(ServerInstance.Retire.INSTANCE, this::retire)
        .onMessage(ServerInstance.UpdateSettings.class, this::updateSettings)
        .onMessage(
            ServerInstance.SessionParked.class,
            parked -> {
              state.routing.sessionParked(parked.sessionId(), parked.parked(), state.recipients);
              return Behaviors.same();
            })
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(GetCachedTools.class, this::onGetCachedTools)
        .onMessage(CacheTools.class, this::onCacheTools)
        .onMessage(FromChild.class, child::onFromChild)
        .onMessage(ChildStopped.class, child::onChildStopped)
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
        .onMessage(StdoutEnded.class, child::onStdoutEnded)
        .onMessageEquals(Tick.INSTANCE, Behaviors::same)
        .onMessage(Timeout.class, timeout -> Behaviors.same())
        .onSignal(PostStop.class, this::onEnd)
        .onSignal(PreRestart.class, this::onEnd)
        .build();
  }

  private Behavior<Command> retire() {
    state.retired = true;
    return Behaviors.same();
  }

  private Behavior<Command> updateSettings(ServerInstance.UpdateSettings update) {
    state.spec = state.spec.withSettingsOf(update.next());
    ending.settingsChanged();
    return Behaviors.same();
  }

  private Behavior<Command> stashStop(Stop stopCommand) {
    return state.stashOr(stopCommand, () -> {});
  }

  private Behavior<Command> onGetStatus(GetStatus get) {
    get.replyTo()
        .tell(
            new Status(
                state.spec.key(),
                status,
                child.livePid(),
                state.sessions.size(),
                state.routing.inFlight(),
                child.startedAt(),
                state.restarts,
                state.spec.shareProcess(),
                state.stderrTail.last(ServerInstance.STDERR_LINES_IN_ERRORS)));
    return Behaviors.same();
  }

  private Behavior<Command> onGetCachedTools(GetCachedTools get) {
    get.replyTo().tell(new CachedTools(Optional.ofNullable(toolsCache), toolsVersion));
    return Behaviors.same();
  }

  private Behavior<Command> onCacheTools(CacheTools cache) {
    if (cache.version() == toolsVersion) {
      toolsCache = cache.tools();
    }
    return Behaviors.same();
  }

  private void toolsChanged() {
    toolsCache = null;
    toolsVersion++;
  }

  /**
   * Its children (sessions and the child process actor, whose end kills the process tree) stop with
   * it.
   */
  private Behavior<Command> onEnd(Object signal) {
    state.releasePermit();
    state.observation.stdin(null);
    return Behaviors.same();
  }
}
