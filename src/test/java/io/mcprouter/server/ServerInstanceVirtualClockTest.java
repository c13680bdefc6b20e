package io.mcprouter.server;

import static io.mcprouter.server.InstanceHarness.next;
import static io.mcprouter.server.InstanceHarness.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.server.InstanceHarness.Launch;
import io.mcprouter.server.InstanceHarness.Session;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The instance's clock-based limits under {@link ManualTime}: request deadlines and the idle
 * timeout are checked on the instance's periodic tick (a timer, which virtual time drives) against
 * the clock the instance is given, which the test advances with the same virtual time. The crash
 * window is the registry's (one owner per key) and is tested there and in {@code
 * RestartPolicyTest}.
 */
class ServerInstanceVirtualClockTest {

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CHECK = Duration.ofMillis(500);
  private static final Duration BACKOFF = Duration.ofSeconds(1);
  private static final Duration CRASH_WINDOW = Duration.ofSeconds(10);
  private static final int MAX_CRASHES = 2;
  private static final Duration QUIET = Duration.ofMillis(200);
  private static final String SEAM = "on virtual time: ";

  private static ActorTestKit testKit;
  private static ManualTime time;
  private static final AtomicLong virtualNanos = new AtomicLong();
  private static RouterSettings settings;

  @BeforeAll
  static void start() {
    Config config =
        ManualTime.config()
            .withFallback(
                ConfigFactory.parseString(
                    String.join(
                        "\n",
                        "mcprouter.server-defaults.check-interval = " + CHECK.toMillis() + "ms",
                        "mcprouter.restart.min-backoff = " + BACKOFF.toMillis() + "ms",
                        "mcprouter.restart.max-backoff = " + BACKOFF.toMillis() + "ms",
                        "mcprouter.restart.random-factor = 0",
                        "mcprouter.restart.max-crashes = " + MAX_CRASHES,
                        "mcprouter.restart.crash-window = " + CRASH_WINDOW.toMillis() + "ms",
                        "mcprouter.session.handshake-timeout = 10h")))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create("ServerInstanceVirtualClockTest", config);
    time = ManualTime.get(testKit.system());
    settings = RouterSettings.fromConfig(config);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aRequestUnansweredPastItsKeysTimeoutIsAnsweredWithAnErrorAndCancelledAtTheChild()
      throws Exception {
    InstanceHarness server =
        new InstanceHarness(
            testKit,
            settings,
            InstanceHarness.spec(true, Optional.of(REQUEST_TIMEOUT), Optional.empty()),
            true,
            virtualNanos::get);
    Launch first = server.awaitLaunch(1);
    TestProbe<JsonRpcMessage> stdin = server.started(first, 501);
    Session session = server.open();
    server.deliverAccepted(session, request(1, "tools/call"));
    next(stdin, JsonRpcMessage.Request.class);

    passes(REQUEST_TIMEOUT.minus(CHECK));
    session.received().expectNoMessage(QUIET);
    passes(CHECK.plus(CHECK));
    String what = "a request older than request_timeout on virtual time was not timed out";
    JsonRpcMessage message = receiveOrFail(session.received(), what);
    assertTrue(
        message instanceof JsonRpcMessage.Response r
            && r.isError()
            && r.error().path("code").asInt() == JsonRpcError.TIMEOUT,
        what + ": " + message);
    JsonRpcMessage.Notification cancel = next(stdin, JsonRpcMessage.Notification.class);
    assertEquals("notifications/cancelled", cancel.method());
  }

  @Test
  void aSharedChildWithoutSessionsIsStoppedAfterItsIdleTimeout() throws Exception {
    InstanceHarness server =
        new InstanceHarness(
            testKit,
            settings,
            InstanceHarness.spec(true, Optional.empty(), Optional.of(IDLE_TIMEOUT)),
            true,
            virtualNanos::get);
    Launch first = server.awaitLaunch(1);
    server.started(first, 502);
    assertEquals("running", server.status().status());

    passes(IDLE_TIMEOUT.minus(CHECK));
    server.child.expectNoMessage(QUIET);
    passes(CHECK.plus(CHECK));
    assertEquals(
        ChildProcess.CloseStdin.INSTANCE,
        receiveOrFail(
            server.child,
            "a shared child idle for longer than idle_timeout on virtual time was not stopped"));
  }

  /** Virtual time for the actor system's timers and for the instance's clock alike. */
  private static void passes(Duration duration) {
    virtualNanos.addAndGet(duration.toNanos());
    time.timePasses(duration);
  }

  /** The next message, or a failure that names the seam gap rather than a bare probe timeout. */
  private static <T> T receiveOrFail(TestProbe<T> probe, String what) {
    try {
      return probe.receiveMessage(Duration.ofSeconds(1));
    } catch (AssertionError timedOut) {
      throw new AssertionError(SEAM + what, timedOut);
    }
  }
}
