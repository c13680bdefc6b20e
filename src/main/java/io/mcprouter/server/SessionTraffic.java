package io.mcprouter.server;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.CallSite;
import io.mcprouter.observe.CallTransport;
import io.mcprouter.observe.InstanceObservation;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.routing.SessionRouting;
import io.mcprouter.server.ServerInstance.Accepted;
import io.mcprouter.server.ServerInstance.Command;
import io.mcprouter.server.ServerInstance.Deliver;
import io.mcprouter.server.ServerInstance.DeliverFirst;
import io.mcprouter.server.ServerInstance.OpenRejected;
import io.mcprouter.server.ServerInstance.OpenSession;
import io.mcprouter.server.ServerInstance.Rejected;
import io.mcprouter.server.ServerInstance.SessionEnded;
import io.mcprouter.server.ServerInstance.SessionNotFound;
import io.mcprouter.server.ServerInstance.SessionOpened;
import io.mcprouter.server.ServerInstance.SessionRefused;
import io.mcprouter.server.ServerInstance.SessionStarted;
import io.mcprouter.server.ServerInstance.StopMode;
import io.mcprouter.session.ClientSession;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * An instance's sessions and their clients' messages: sessions open and end, and each phase has its
 * way to take a message (to the child's stdin, into the stash until the child is up, or refused). A
 * shared child nobody used for its idle timeout is stopped from here.
 */
final class SessionTraffic {

  private final InstanceState state;
  private final CurrentChild child;
  private final StopAndRestart ending;

  // the state's parts a client's message uses, in fields of their own (the per-message path)
  private final RouterSettings settings;
  private final LongSupplier clock;
  private final SessionRouting routing;
  private final SessionRouting.Recipients recipients;
  private final InstanceSessions sessions;
  private final InstanceObservation observation;

  private final ActorContext<Command> context;
  private long lastActivityNanos;
  private long sessionsSpawned;

  SessionTraffic(InstanceState state, CurrentChild child, StopAndRestart ending) {
    this.state = state;
    this.child = child;
    this.ending = ending;
    this.settings = state.settings;
    this.clock = state.clock;
    this.routing = state.routing;
    this.recipients = state.recipients;
    this.sessions = state.sessions;
    this.observation = state.observation;
    this.context = state.context;
    this.lastActivityNanos = clock.getAsLong();
  }

  /** Read at each open: a reload may have changed them since the instance started. */
  private ClientSession.Timeouts sessionTimeouts() {
    ServerSpec spec = state.spec;
    return new ClientSession.Timeouts(
        settings.handshakeTimeout(),
        spec.sessionIdleTimeout().orElse(settings.streamableIdleTimeout()),
        spec.detachedTimeout().orElse(settings.streamableDetachedTimeout()));
  }

  // ------------------------------------------------------------------ sessions

  Behavior<Command> openSession(OpenSession open) {
    state.spare = false; // a spare's child is this session's now
    CallTransport transport = open.transport().observed();
    InstanceObservation observed = observation;
    ActorRef<ClientSession.Command> session =
        context.spawn(
            ClientSession.create(
                state.spec.key(),
                open.sessionId(),
                open.outbound(),
                sessionTimeouts(),
                why -> observed.sessionEnded(transport, why)),
            // the full id is the client's credential for its session: it would show in every
            // actor path logged
            "session-"
                + open.sessionId().substring(0, Math.min(8, open.sessionId().length()))
                + "-"
                + (++sessionsSpawned));
    context.watchWith(session, new SessionEnded(open.sessionId()));
    CallSite site = observation.site(open.sessionId(), transport);
    sessions.add(open.sessionId(), new AttachedSession(session, open.outbound(), site));
    routing.sessionOpened(open.sessionId(), site);
    state.lifecycle.tell(new SessionStarted(open.sessionId(), context.getSelf(), session));
    // before the reply: the client learns its session id from it, so its next message comes after
    // this one
    open.first()
        .ifPresent(first -> context.getSelf().tell(new DeliverFirst(open.sessionId(), first)));
    open.replyTo().tell(new SessionOpened(open.sessionId(), session));
    return Behaviors.same();
  }

  Behavior<Command> refuseOpen(OpenSession open) {
    // counted as opened by the registry, which could not know the server was stopping
    observation.sessionEnded(open.transport().observed(), SessionEnd.STOPPED);
    state.lifecycle.tell(new SessionRefused(open.sessionId()));
    open.replyTo().tell(new OpenRejected("server '" + state.spec.key() + "' is stopping"));
    return Behaviors.same();
  }

  private void removeSession(String sessionId) {
    lastActivityNanos = clock.getAsLong();
    sessions.remove(sessionId);
    routing.sessionClosed(sessionId, recipients);
  }

  Behavior<Command> sessionEnded(SessionEnded ended) {
    removeSession(ended.sessionId());
    if (!state.spec.shareProcess() && sessions.isEmpty()) {
      state.releasePermit();
    }
    return Behaviors.same();
  }

  Behavior<Command> sessionEndedWaiting(SessionEnded ended) {
    removeSession(ended.sessionId());
    if (sessions.isEmpty()) {
      state.releasePermit();
      return Behaviors.stopped(); // a legacy session that never sent a request: no child to stop
    }
    return Behaviors.same();
  }

  Behavior<Command> sessionEndedRunning(SessionEnded ended) {
    sessionEnded(ended);
    if (!state.spec.shareProcess() && sessions.isEmpty()) {
      state.stop.begin(StopMode.GRACEFUL, routing.inFlight());
      return ending.closeStdin(); // its only client is gone: nobody is waiting for answers
    }
    return state.retired ? stopIfUnused() : Behaviors.same();
  }

  /**
   * A reload changed how this key's children are launched: its new sessions go to a new instance,
   * this one ends once its own have (see {@link ServerInstance.Retire}).
   */
  Behavior<Command> retireRunning() {
    state.retired = true;
    return stopIfUnused();
  }

  private Behavior<Command> stopIfUnused() {
    if (!sessions.isEmpty() || routing.inFlight() > 0) {
      return Behaviors.same();
    }
    context
        .getLog()
        .info(
            "server retired key={} pid={}: its configuration changed and its last session ended",
            state.spec.key(),
            state.pid);
    state.stop.begin(StopMode.GRACEFUL, 0);
    return ending.closeStdin();
  }

  Behavior<Command> sessionEndedGone(SessionEnded ended) {
    removeSession(ended.sessionId());
    return sessions.isEmpty() ? Behaviors.stopped() : Behaviors.same();
  }

  /** A shared child that served nobody for its idle timeout is stopped. */
  Behavior<Command> idleCheck() {
    if (state.retired) {
      return stopIfUnused();
    }
    Duration idleLimit = state.spec.idleTimeout().orElse(settings.idleTimeout());
    if (state.spec.shareProcess()
        && !idleLimit.isZero()
        && sessions.isEmpty()
        && routing.inFlight() == 0
        && clock.getAsLong() - lastActivityNanos > idleLimit.toNanos()) {
      context
          .getLog()
          .info(
              "server idle key={} pid={} for {}; stopping it",
              state.spec.key(),
              state.pid,
              idleLimit);
      state.stop.begin(StopMode.GRACEFUL, 0);
      return ending.closeStdin();
    }
    return Behaviors.same();
  }

  // ------------------------------------------------------------------ a client's message

  Behavior<Command> deliverWaiting(Deliver deliver) {
    if (!sessions.contains(deliver.sessionId())) {
      return notFound(deliver);
    }
    sessions.clientSent(deliver.sessionId(), deliver.message());
    return child.launchFor(deliver, () -> reject(deliver, child.refusedStart()));
  }

  Behavior<Command> deliverQueued(Deliver deliver) {
    if (!sessions.contains(deliver.sessionId())) {
      return notFound(deliver);
    }
    sessions.clientSent(deliver.sessionId(), deliver.message());
    return state.stashOr(
        deliver, () -> reject(deliver, ServerErrors.tooManyQueued(state.spec.key())));
  }

  Behavior<Command> deliverRunning(Deliver deliver) {
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
  Behavior<Command> deliverStopping(Deliver deliver) {
    if (!sessions.contains(deliver.sessionId())) {
      return notFound(deliver);
    }
    sessions.clientSent(deliver.sessionId(), deliver.message());
    if (deliver.message() instanceof JsonRpcMessage.Request) {
      return reject(deliver, ServerErrors.stopping(state.spec.key()));
    }
    return route(deliver);
  }

  Behavior<Command> deliverGone(Deliver deliver) {
    return sessions.contains(deliver.sessionId())
        ? reject(deliver, ending.goneError())
        : notFound(deliver);
  }

  /** To the child: refused when its stdin is full, held for its exit when its stdin is gone. */
  private Behavior<Command> route(Deliver deliver) {
    if (routing.fromClient(deliver.sessionId(), deliver.message(), recipients)
        == SessionRouting.Outcome.ACCEPTED) {
      return accept(deliver);
    }
    return state.stdinGone()
        ? heldForExit(deliver, () -> rejectFull(deliver))
        : rejectFull(deliver);
  }

  // ------------------------------------------------------------------ a session's opening message

  Behavior<Command> deliverFirstWaiting(DeliverFirst first) {
    sessions.clientSent(first.sessionId(), first.message());
    return child.launchFor(first, () -> refuseOnStream(first, child.refusedStart()));
  }

  Behavior<Command> deliverFirstQueued(DeliverFirst first) {
    sessions.clientSent(first.sessionId(), first.message());
    return state.stashOr(
        first, () -> refuseOnStream(first, ServerErrors.tooManyQueued(state.spec.key())));
  }

  Behavior<Command> deliverFirstRunning(DeliverFirst first) {
    sessions.clientSent(first.sessionId(), first.message());
    if (!sessions.contains(first.sessionId())
        || routing.fromClient(first.sessionId(), first.message(), recipients)
            == SessionRouting.Outcome.ACCEPTED) {
      return Behaviors.same();
    }
    if (state.stdinGone()) {
      return heldForExit(
          first, () -> refuseOnStream(first, ServerErrors.stdinFull(state.spec.key())));
    }
    refuseOnStream(first, ServerErrors.stdinFull(state.spec.key()));
    return Behaviors.same();
  }

  Behavior<Command> deliverFirstStopping(DeliverFirst first) {
    refuseOnStream(first, ServerErrors.stopping(state.spec.key()));
    return Behaviors.same();
  }

  Behavior<Command> deliverFirstGone(DeliverFirst first) {
    refuseOnStream(first, ending.goneError());
    return Behaviors.same();
  }

  // ------------------------------------------------------------------ answers

  /**
   * The child's stdin is gone: whatever is sent now waits for its exit, so that the client learns
   * why (the exit code and, where allowed, stderr) rather than that the child is busy; a restarted
   * child gets it.
   */
  private Behavior<Command> heldForExit(Command message, Runnable refuse) {
    child.endIfUnreachable();
    return state.stashOr(message, refuse);
  }

  private Behavior<Command> accept(Deliver deliver) {
    deliver.replyTo().tell(Accepted.INSTANCE);
    return Behaviors.same();
  }

  private Behavior<Command> rejectFull(Deliver deliver) {
    JsonRpcError full = ServerErrors.stdinFull(state.spec.key());
    observation.overflow(sessions.site(deliver.sessionId()), deliver.message(), full);
    sessions.notTaken(deliver.sessionId(), deliver.message());
    deliver.replyTo().tell(new Rejected(full));
    return Behaviors.same();
  }

  private Behavior<Command> reject(Deliver deliver, JsonRpcError error) {
    observation.refused(sessions.site(deliver.sessionId()), deliver.message(), error);
    sessions.notTaken(deliver.sessionId(), deliver.message());
    deliver.replyTo().tell(new Rejected(error));
    return Behaviors.same();
  }

  private Behavior<Command> notFound(Deliver deliver) {
    deliver.replyTo().tell(new SessionNotFound(deliver.sessionId()));
    return Behaviors.same();
  }

  private void refuseOnStream(DeliverFirst first, JsonRpcError error) {
    observation.refused(sessions.site(first.sessionId()), first.message(), error);
    sessions.notTaken(first.sessionId(), first.message());
    if (first.message() instanceof JsonRpcMessage.Request request) {
      recipients.toSession(first.sessionId(), JsonRpcMessage.failure(request.id(), error));
    }
  }
}
