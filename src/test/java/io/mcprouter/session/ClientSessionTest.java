package io.mcprouter.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.Behaviors;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.session.ClientSession.Command;
import io.mcprouter.session.ClientSession.Handshake;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The session actor's decisions on a virtual clock: every timer is driven by {@link ManualTime}, so
 * "does not close before" is checked without waiting, and "closes after" without a real timeout.
 */
class ClientSessionTest {

  private static final Duration HANDSHAKE = Duration.ofSeconds(30);
  private static final Duration IDLE = Duration.ofSeconds(60);
  private static final Duration DETACHED = Duration.ofSeconds(20);
  private static final Duration STEP = Duration.ofMillis(1);

  private static ActorTestKit testKit;
  private static ManualTime time;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("ClientSessionTest", ManualTime.config());
    time = ManualTime.get(testKit.system());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /**
   * The client's stream: records what the session does to it on {@code calls}, and reports
   * connections as the test sets them. Its {@code unconnectedSince} lies an hour in the past: the
   * session checks it against the wall clock, which {@link ManualTime} does not move.
   */
  private static final class FakeOutbound implements Outbound {
    private final ActorRef<String> calls;
    private final CompletableFuture<Done> terminated = new CompletableFuture<>();
    private volatile Consumer<Connections> watcher;
    private volatile Connections connections;
    private volatile boolean reportsConnected;
    volatile SessionEnd endedAs;

    FakeOutbound(ActorRef<String> calls, Connections initial) {
      this.calls = calls;
      this.connections = initial;
      this.reportsConnected = initial.connected();
    }

    @Override
    public OfferResult offer(JsonRpcMessage message) {
      return OfferResult.ENQUEUED;
    }

    @Override
    public void complete() {
      calls.tell("complete");
    }

    @Override
    public void abort() {
      calls.tell("abort");
    }

    @Override
    public Optional<SessionEnd> endedAs() {
      return Optional.ofNullable(endedAs);
    }

    @Override
    public CompletionStage<Done> terminated() {
      return terminated;
    }

    @Override
    public String describeBounds() {
      return "test bounds";
    }

    @Override
    public void watchConnections(Consumer<Connections> watcher) {
      this.watcher = watcher;
      watcher.accept(connections);
    }

    @Override
    public OptionalLong unconnectedSince() {
      return reportsConnected
          ? OptionalLong.empty()
          : OptionalLong.of(System.nanoTime() - Duration.ofHours(1).toNanos());
    }

    /** A change of connections, reported to the session as a transport does. */
    void change(boolean connected, boolean getStreamClosed) {
      connections = new Connections(connected, getStreamClosed);
      reportsConnected = connected;
      watcher.accept(connections);
    }

    /**
     * What {@code unconnectedSince} says, without a report: a report still on its way to the
     * session.
     */
    void silentlyConnected() {
      reportsConnected = true;
    }

    void clientGone() {
      terminated.complete(Done.getInstance());
    }
  }

  /**
   * One session under test, seen through its outbound's calls and a monitor of the messages it
   * takes.
   */
  private static final class Fixture {
    final TestProbe<String> calls = testKit.createTestProbe();
    final TestProbe<Command> taken = testKit.createTestProbe();
    final TestProbe<Object> watcher = testKit.createTestProbe();
    final TestProbe<SessionEnd> ends = testKit.createTestProbe();
    final FakeOutbound outbound;
    final ActorRef<Command> session;

    /** The session's timers that fired, by name, in order. */
    final List<String> fired = new ArrayList<>();

    private boolean handshakeDone;

    Fixture(boolean connected, boolean getStreamClosed) {
      outbound =
          new FakeOutbound(calls.getRef(), new Outbound.Connections(connected, getStreamClosed));
      session =
          testKit.spawn(
              Behaviors.monitor(
                  Command.class,
                  taken.getRef(),
                  ClientSession.create(
                      "key",
                      "session-id-0123456789",
                      outbound,
                      new ClientSession.Timeouts(HANDSHAKE, IDLE, DETACHED),
                      ends.getRef()::tell)));
      expectReport(); // the report made in its setup: taken once the setup (and the handshake
      // timer) is done
    }

    private void expectReport() {
      assertEquals("ConnectionsChanged", taken.receiveMessage().getClass().getSimpleName());
    }

    /**
     * Hands the session a message and waits until it takes it: every message before it has been
     * handled.
     */
    void tell(Command command) {
      session.tell(command);
      for (Command next = taken.receiveMessage();
          !next.equals(command);
          next = taken.receiveMessage()) {
        // the session's own timers are Commands too: the monitor sees them fire
        assertTrue(
            next.getClass().getSimpleName().equals("Timer"), "unexpected message taken: " + next);
        fired.add(next.toString());
      }
      handshakeDone |= command == Handshake.COMPLETED;
    }

    /**
     * Waits until the session has handled what is in its mailbox (a timer's message included:
     * ManualTime sends them while time passes), with a message that changes nothing: a late
     * handshake step once it is done, else a connected session's connections reported again.
     */
    void sync() {
      if (handshakeDone) {
        tell(Handshake.COMPLETED);
      } else {
        assertTrue(
            outbound.connections.connected(),
            "only a connected session can be re-told its connections harmlessly");
        report(true, outbound.connections.getStreamClosed());
      }
    }

    /** The transport reports a change of connections, and the session has taken the report. */
    void report(boolean connected, boolean getStreamClosed) {
      outbound.change(connected, getStreamClosed);
      expectReport();
    }

    /** Time passes on the session's clock, and whatever that fired has been handled. */
    void timePasses(Duration duration) {
      time.timePasses(duration);
      sync();
    }

    void expectStillOpen() {
      calls.expectNoMessage(Duration.ZERO);
    }

    /** The stream completed, the session stopped, and it said once why it ended. */
    void expectClosed(SessionEnd why) {
      calls.expectMessage("complete");
      watcher.expectTerminated(session);
      expectEnded(why);
    }

    void expectEnded(SessionEnd why) {
      assertEquals(why, ends.receiveMessage(), "why the session ended, for the metrics");
      ends.expectNoMessage(Duration.ZERO);
    }
  }

  /**
   * A session whose client has not done its handshake, with a connection open (no idle clock
   * running).
   */
  private static Fixture handshaking() {
    return new Fixture(true, false);
  }

  /** A Streamable session past its handshake, with {@code initial} connections. */
  private static Fixture streamable(boolean connected, boolean getStreamClosed) {
    Fixture fixture = new Fixture(connected, getStreamClosed);
    fixture.tell(Handshake.COMPLETED);
    return fixture;
  }

  @Test
  void aClientThatNeverSendsInitializeIsClosedAfterTheHandshakeTimeout() {
    Fixture fixture = handshaking();

    fixture.timePasses(HANDSHAKE.minus(STEP));
    fixture.expectStillOpen();
    time.timePasses(STEP);
    fixture.expectClosed(SessionEnd.IDLE);
  }

  @Test
  void
      theHandshakeClockStandsStillWhileTheServerAnswersInitializeThenRunsForNotificationsInitialized() {
    Fixture fixture = handshaking();
    fixture.timePasses(HANDSHAKE.minus(STEP));
    fixture.tell(Handshake.INITIALIZE_SENT);

    fixture.timePasses(HANDSHAKE.multipliedBy(10));
    fixture.expectStillOpen();

    // the answer restarts the clock, in full: the client owes notifications/initialized
    fixture.tell(Handshake.INITIALIZE_ANSWERED);
    fixture.timePasses(HANDSHAKE.minus(STEP));
    fixture.expectStillOpen();
    time.timePasses(STEP);
    fixture.expectClosed(SessionEnd.IDLE);
  }

  @Test
  void aCompletedHandshakeCancelsTheTimeoutForGood() {
    Fixture fixture = handshaking();
    fixture.tell(Handshake.INITIALIZE_SENT);
    fixture.tell(Handshake.INITIALIZE_ANSWERED);
    fixture.tell(Handshake.COMPLETED);
    fixture.tell(Handshake.INITIALIZE_ANSWERED); // a late step does not restart it

    fixture.timePasses(HANDSHAKE.multipliedBy(10));
    fixture.expectStillOpen();

    fixture.tell(new ClientSession.Close(SessionEnd.STOPPED, "test over"));
    fixture.expectClosed(SessionEnd.STOPPED);
  }

  @Test
  void aStreamableSessionWithNothingOpenIsClosedAfterTheIdleTimeout() {
    Fixture fixture = streamable(false, false);

    fixture.timePasses(IDLE.minus(STEP));
    fixture.expectStillOpen();
    time.timePasses(STEP);
    fixture.expectClosed(SessionEnd.IDLE);
  }

  @Test
  void aStreamableClientThatReconnectsBeforeTheIdleTimeoutKeepsItsSession() {
    Fixture fixture = streamable(false, false);
    fixture.timePasses(IDLE.minus(STEP));

    fixture.report(true, false);
    fixture.timePasses(IDLE.multipliedBy(10));
    fixture.expectStillOpen();

    // the clock starts again from the next time nothing is open
    fixture.report(false, false);
    fixture.timePasses(IDLE.minus(STEP));
    fixture.expectStillOpen();
    time.timePasses(STEP);
    fixture.expectClosed(SessionEnd.IDLE);
  }

  @Test
  void aStreamableSessionWhoseGetStreamClosedIsClosedAfterTheDetachedTimeout() {
    Fixture fixture = streamable(true, false);
    fixture.timePasses(IDLE.multipliedBy(10));
    fixture.expectStillOpen();

    fixture.report(false, true);
    fixture.timePasses(DETACHED.minus(STEP));
    fixture.expectStillOpen();
    time.timePasses(STEP);
    fixture.expectClosed(SessionEnd.DETACHED);
  }

  @Test
  void anUnconnectedTimerThatFiresAfterAConnectionOpenedLeavesTheSessionOpen() {
    Fixture fixture = streamable(false, false);
    // the session's outbound is connected again, but its report has not reached the actor yet
    fixture.outbound.silentlyConnected();

    fixture.timePasses(IDLE.multipliedBy(2));
    assertEquals(List.of("UNCONNECTED"), fixture.fired, "the idle timer did fire");
    fixture.expectStillOpen();

    fixture.tell(new ClientSession.Close(SessionEnd.STOPPED, "test over"));
    fixture.expectClosed(SessionEnd.STOPPED);
  }

  @Test
  void anOverflowAbortsTheClientStreamAndStops() {
    Fixture fixture = streamable(true, false);

    fixture.session.tell(ClientSession.Overflowed.INSTANCE);

    assertEquals(
        "abort",
        fixture.calls.receiveMessage(),
        "what the client did not read is dropped, not sent");
    fixture.watcher.expectTerminated(fixture.session);
    fixture.expectEnded(SessionEnd.OVERFLOW);
  }

  @Test
  void closeCompletesTheClientStreamAndStops() {
    Fixture fixture = handshaking();

    fixture.session.tell(new ClientSession.Close(SessionEnd.LIMIT, "evicted"));

    fixture.expectClosed(SessionEnd.LIMIT);
  }

  /**
   * A session whose client has gone, its outbound set up by {@code before}, ends as {@code why}.
   */
  private static void clientGone(Consumer<FakeOutbound> before, SessionEnd why) {
    Fixture fixture = streamable(true, false);
    before.accept(fixture.outbound);

    fixture.outbound.clientGone();

    fixture.watcher.expectTerminated(fixture.session);
    fixture.expectEnded(why);
  }

  @Test
  void theSessionStopsWhenItsClientHasGone() {
    clientGone(outbound -> {}, SessionEnd.VANISHED);
  }

  @Test
  void aSessionItsClientEndedEndsAsClientClosed() {
    clientGone(outbound -> outbound.endedAs = SessionEnd.CLIENT_CLOSED, SessionEnd.CLIENT_CLOSED);
  }

  @Test
  void aSessionEvictedBeforeItStartedEndsAsItsOutboundSays() {
    clientGone(outbound -> outbound.endedAs = SessionEnd.LIMIT, SessionEnd.LIMIT);
  }

  @Test
  void aSessionStoppedWithItsServerEndsAsStopped() {
    Fixture fixture = streamable(true, false);

    testKit.stop(fixture.session);

    fixture.expectEnded(SessionEnd.STOPPED);
  }
}
