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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The instance's clock-based limits under {@link ManualTime} (issue 13, point 6: request, idle and
 * crash-window timing tested on virtual time). The checks run on the instance's periodic tick, a
 * timer, so virtual time drives them; what they compare must then be virtual time too.
 *
 * <p>KNOWN TO FAIL (main code, reported in notes/timers.md): {@code RequestDeadlines}, the idle check
 * in {@code ServerInstance} and {@code RestartPolicy}'s crash window all measure with
 * {@code System.nanoTime()}, which {@link ManualTime} does not move: on virtual time a request never
 * times out, a shared child is never idle and a crash never leaves the window.
 */
class ServerInstanceVirtualClockTest {

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CHECK = Duration.ofMillis(500);
  private static final Duration BACKOFF = Duration.ofSeconds(1);
  private static final Duration CRASH_WINDOW = Duration.ofSeconds(10);
  private static final int MAX_CRASHES = 2;
  private static final Duration QUIET = Duration.ofMillis(200);
  private static final String SEAM =
      "MAIN-CODE SEAM GAP (see notes/timers.md): measured with System.nanoTime, not the actor system's clock; ";

  private static ActorTestKit testKit;
  private static ManualTime time;
  private static RouterSettings settings;

  @BeforeAll
  static void start() {
    Config config = ManualTime.config()
        .withFallback(ConfigFactory.parseString(String.join("\n",
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
  void aRequestUnansweredPastItsKeysTimeoutIsAnsweredWithAnErrorAndCancelledAtTheChild() throws Exception {
    InstanceHarness server = new InstanceHarness(testKit, settings,
        InstanceHarness.spec(true, Optional.of(REQUEST_TIMEOUT), Optional.empty()), true);
    Launch first = server.awaitLaunch(1);
    TestProbe<JsonRpcMessage> stdin = server.started(first, 501);
    Session session = server.open();
    server.deliverAccepted(session, request(1, "tools/call"));
    next(stdin, JsonRpcMessage.Request.class);

    time.timePasses(REQUEST_TIMEOUT.minus(CHECK));
    session.received().expectNoMessage(QUIET);
    time.timePasses(CHECK.plus(CHECK));
    String what = "a request older than request_timeout on virtual time was not timed out";
    JsonRpcMessage message = receiveOrFail(session.received(), what);
    assertTrue(message instanceof JsonRpcMessage.Response r && r.isError()
            && r.error().path("code").asInt() == JsonRpcError.TIMEOUT, what + ": " + message);
    JsonRpcMessage.Notification cancel = next(stdin, JsonRpcMessage.Notification.class);
    assertEquals("notifications/cancelled", cancel.method());
  }

  @Test
  void aSharedChildWithoutSessionsIsStoppedAfterItsIdleTimeout() throws Exception {
    InstanceHarness server = new InstanceHarness(testKit, settings,
        InstanceHarness.spec(true, Optional.empty(), Optional.of(IDLE_TIMEOUT)), true);
    Launch first = server.awaitLaunch(1);
    server.started(first, 502);
    assertEquals("running", server.status().status());

    time.timePasses(IDLE_TIMEOUT.minus(CHECK));
    server.child.expectNoMessage(QUIET);
    time.timePasses(CHECK.plus(CHECK));
    assertEquals(ChildProcess.CloseStdin.INSTANCE, receiveOrFail(server.child,
        "a shared child idle for longer than idle_timeout on virtual time was not stopped"));
  }

  @Test
  void crashesOlderThanTheCrashWindowDoNotCountTowardsACrashLoop() throws Exception {
    InstanceHarness server = new InstanceHarness(testKit, settings, true, true);
    Session session = server.open();
    for (int generation = 1; generation <= MAX_CRASHES; generation++) {
      Launch launch = server.awaitLaunch(generation);
      server.started(launch, 600 + generation);
      server.exits(launch, 3);
      assertEquals("restarting", server.status().status());
      time.timePasses(BACKOFF);
    }
    Launch third = server.awaitLaunch(MAX_CRASHES + 1);
    server.started(third, 603);
    time.timePasses(CRASH_WINDOW.plus(CHECK)); // the first crashes leave the window
    server.exits(third, 3);
    String status = server.status().status();
    assertEquals("restarting", status,
        SEAM + "a crash after the earlier ones left crash-window on virtual time was counted as a crash loop");
    session.ends().expectNoMessage(QUIET);
    time.timePasses(BACKOFF);
    server.awaitLaunch(MAX_CRASHES + 2);
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
