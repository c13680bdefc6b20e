package io.mcprouter.session;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import io.mcprouter.observe.SessionEnd;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected MCP client. A child of the server actor; owns the lifecycle of the outbound stream
 * to its client and stops when the client goes away, when the client cannot keep up, when it does
 * not complete the MCP handshake in time, when a Streamable session has had nothing open for too
 * long, or when told to close. The server actor offers messages to the {@link Outbound} itself: a
 * hop through this actor per message would cost a thread hand-off on the hottest path, for no
 * decision it needs to make.
 */
public final class ClientSession extends AbstractBehavior<ClientSession.Command> {

  public sealed interface Command {}

  /** The client stopped reading and its outbound buffer is full: the session ends. */
  public enum Overflowed implements Command {
    INSTANCE
  }

  /**
   * The server is going away (or the session must end): finish the stream and stop. {@code why}
   * classifies it for the metrics, {@code reason} says it in the log line.
   */
  public record Close(SessionEnd why, String reason) implements Command {}

  /**
   * MCP lifecycle progress, from the server actor that routes it. The handshake clock runs while
   * the client owes the next step (its initialize, then notifications/initialized) and stands still
   * while the server is answering initialize: a slow server is bounded by its own
   * initialize-timeout.
   */
  public enum Handshake implements Command {
    INITIALIZE_SENT,
    INITIALIZE_ANSWERED,
    COMPLETED
  }

  /**
   * @param handshake {@code mcprouter.session.handshake-timeout}
   * @param idle a Streamable session with nothing open that never lost a GET stream
   * @param detached a Streamable session with nothing open whose GET stream has closed
   */
  public record Timeouts(Duration handshake, Duration idle, Duration detached) {}

  private enum ClientGone implements Command {
    INSTANCE
  }

  private record ConnectionsChanged(Outbound.Connections connections) implements Command {}

  private enum Timer implements Command {
    HANDSHAKE,
    UNCONNECTED
  }

  // one logger for all sessions: an actor's own logger keeps its path as a string per session, and
  // every line names the key and session anyway
  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

  /** {@code ended} is told once, when the session has stopped, why it ended. */
  public static Behavior<Command> create(
      String serverKey,
      String sessionId,
      Outbound outbound,
      Timeouts timeouts,
      Consumer<SessionEnd> ended) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context ->
                    new ClientSession(
                        context, timers, serverKey, sessionId, outbound, timeouts, ended)));
  }

  private final TimerScheduler<Command> timers;
  private final String serverKey;

  /** Logs name a session by a prefix: the full id is the client's credential for its session. */
  private final String session;

  private final Outbound outbound;
  private final Timeouts timeouts;
  private final Consumer<SessionEnd> ended;

  /** Why it ends, once known; a session stopped with its server has no message saying so. */
  private SessionEnd end = SessionEnd.STOPPED;

  private boolean handshakeDone;
  private boolean getStreamClosed;

  private ClientSession(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String serverKey,
      String sessionId,
      Outbound outbound,
      Timeouts timeouts,
      Consumer<SessionEnd> ended) {
    super(context);
    this.ended = ended;
    this.timers = timers;
    this.serverKey = serverKey;
    this.session = sessionId.substring(0, Math.min(8, sessionId.length()));
    this.outbound = outbound;
    this.timeouts = timeouts;
    context.pipeToSelf(outbound.terminated(), (done, failure) -> ClientGone.INSTANCE);
    ActorRef<Command> self = context.getSelf();
    outbound.watchConnections(connections -> self.tell(new ConnectionsChanged(connections)));
    timers.startSingleTimer(Timer.HANDSHAKE, timeouts.handshake());
    log.info("session opened key={} session={}", serverKey, session);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Overflowed.INSTANCE, this::onOverflowed)
        .onMessage(Close.class, close -> close(close.why(), close.reason()))
        .onMessageEquals(ClientGone.INSTANCE, this::onClientGone)
        .onMessage(Handshake.class, this::onHandshake)
        .onMessage(ConnectionsChanged.class, this::onConnectionsChanged)
        .onMessageEquals(Timer.HANDSHAKE, this::onHandshakeExpired)
        .onMessageEquals(Timer.UNCONNECTED, this::onUnconnectedExpired)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onOverflowed() {
    log.warn(
        "session closed key={} session={} reason=client not reading, outbound buffer full ({})",
        serverKey,
        session,
        outbound.describeBounds());
    end = SessionEnd.OVERFLOW;
    outbound.abort(); // what it holds is what it did not read: kept, it would stay held while the
    // connection lasts
    return Behaviors.stopped();
  }

  private Behavior<Command> close(SessionEnd why, String reason) {
    end = why;
    log.info("session closed key={} session={} reason={}", serverKey, session, reason);
    outbound.complete();
    return Behaviors.stopped();
  }

  private Behavior<Command> onClientGone() {
    end = outbound.endedAs().orElse(SessionEnd.VANISHED);
    outbound
        .endReason()
        .ifPresentOrElse(
            reason ->
                log.warn("session closed key={} session={} reason={}", serverKey, session, reason),
            () ->
                log.info(
                    "session closed key={} session={} reason={}",
                    serverKey,
                    session,
                    end == SessionEnd.CLIENT_CLOSED
                        ? "closed by its client"
                        : "client disconnected"));
    return Behaviors.stopped();
  }

  private Behavior<Command> onHandshake(Handshake step) {
    if (handshakeDone) {
      return this;
    }
    switch (step) {
      case INITIALIZE_SENT -> timers.cancel(Timer.HANDSHAKE);
      case INITIALIZE_ANSWERED -> timers.startSingleTimer(Timer.HANDSHAKE, timeouts.handshake());
      case COMPLETED -> {
        handshakeDone = true;
        timers.cancel(Timer.HANDSHAKE);
      }
    }
    return this;
  }

  private Behavior<Command> onHandshakeExpired() {
    return handshakeDone
        ? this
        : close(
            SessionEnd.IDLE,
            "MCP handshake not completed within "
                + timeouts.handshake().toMillis()
                + " ms (mcprouter.session.handshake-timeout)");
  }

  private Behavior<Command> onConnectionsChanged(ConnectionsChanged changed) {
    getStreamClosed = changed.connections().getStreamClosed();
    if (changed.connections().connected()) {
      timers.cancel(Timer.UNCONNECTED);
    } else {
      timers.startSingleTimer(Timer.UNCONNECTED, unconnectedLimit());
    }
    return this;
  }

  /** Checked against the session itself: a connection may have opened since the timer was set. */
  private Behavior<Command> onUnconnectedExpired() {
    OptionalLong since = outbound.unconnectedSince();
    if (since.isEmpty()) {
      return this;
    }
    Duration limit = unconnectedLimit();
    long left = limit.toNanos() - (System.nanoTime() - since.getAsLong());
    if (left > 0) {
      timers.startSingleTimer(Timer.UNCONNECTED, Duration.ofNanos(left));
      return this;
    }
    return close(
        getStreamClosed ? SessionEnd.DETACHED : SessionEnd.IDLE,
        getStreamClosed
            ? "detached: its GET stream closed and nothing was open for "
                + limit.toMillis()
                + " ms (mcprouter.streamable.detached-timeout)"
            : "idle: nothing open for "
                + limit.toMillis()
                + " ms (mcprouter.streamable.session-idle-timeout)");
  }

  private Duration unconnectedLimit() {
    return getStreamClosed ? timeouts.detached() : timeouts.idle();
  }

  private Behavior<Command> onPostStop() {
    outbound.complete();
    ended.accept(end);
    return this;
  }
}
