package io.mcprouter.child;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ChildProcess} over real OS processes, its grace and kill timers on {@link ManualTime}: the
 * process, its pipes and its signals are real (so they are awaited with deadlines), the periods
 * between the signals are virtual.
 */
class ChildProcessTest {

  private static final Duration GRACE = Duration.ofSeconds(20);
  private static final Duration KILL = Duration.ofSeconds(10);
  private static final Duration STEP = Duration.ofMillis(1);
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final Duration PROCESS_WAIT = Duration.ofSeconds(10);

  private static ActorTestKit testKit;
  private static ManualTime time;
  private static RouterSettings settings;
  private static final AtomicLong ids = new AtomicLong();

  @BeforeAll
  static void start() {
    Config config =
        ManualTime.config()
            .withFallback(
                ConfigFactory.parseString(
                    String.join(
                        "\n",
                        "mcprouter.stop.grace-period = " + GRACE.toMillis() + "ms",
                        "mcprouter.stop.kill-period = " + KILL.toMillis() + "ms")))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create("ChildProcessTest", config);
    time = ManualTime.get(testKit.system());
    settings = RouterSettings.fromConfig(config);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  // ------------------------------------------------------------------ the stdout receiver's
  // protocol

  private sealed interface Out {}

  private record Init(ActorRef<Ack> ackTo) implements Out {}

  private record Frames(ActorRef<Ack> ackTo, List<StdoutFrame> frames) implements Out {}

  private enum Ended implements Out {
    INSTANCE
  }

  private record Failed(Throwable cause) implements Out {}

  private enum Ack {
    INSTANCE
  }

  /** Acks as the instance would, and passes each stdout line on to the test. */
  private static Behavior<Out> stdoutReceiver(ActorRef<StdoutFrame> lines) {
    return Behaviors.receive(Out.class)
        .onMessage(
            Init.class,
            init -> {
              init.ackTo().tell(Ack.INSTANCE);
              return Behaviors.same();
            })
        .onMessage(
            Frames.class,
            frames -> {
              frames.frames().forEach(lines::tell);
              frames.ackTo().tell(Ack.INSTANCE);
              return Behaviors.same();
            })
        .onMessage(Out.class, ended -> Behaviors.same())
        .build();
  }

  /** A launched child actor and the probes that see what it reports and what the process prints. */
  private record Launched(
      ActorRef<ChildProcess.Command> actor,
      TestProbe<ChildProcess.Report> reports,
      TestProbe<StdoutFrame> stdout) {}

  private static Launched launch(String command, Optional<String> cwd) {
    TestProbe<ChildProcess.Report> reports = testKit.createTestProbe();
    TestProbe<StdoutFrame> stdout = testKit.createTestProbe();
    ActorRef<Out> receiver = testKit.spawn(stdoutReceiver(stdout.getRef()));
    ChildProcess.StdoutTarget<Out, Ack> target =
        new ChildProcess.StdoutTarget<>(
            receiver, Frames::new, Init::new, Ack.INSTANCE, Ended.INSTANCE, Failed::new);
    ServerSpec spec =
        new ServerSpec(
            "child-" + ids.incrementAndGet(), command, true, Map.of(), cwd, Optional.empty());
    ActorRef<ChildProcess.Command> actor =
        testKit.spawn(
            ChildProcess.create(
                spec, settings, 1, new StderrTail(20), target, bytes -> {}, reports.getRef()));
    return new Launched(actor, reports, stdout);
  }

  private static ChildProcess.Started awaitStarted(Launched child) {
    ChildProcess.Started started =
        child.reports().expectMessageClass(ChildProcess.Started.class, PROCESS_WAIT);
    assertEquals(1, started.generation());
    assertTrue(started.pid() > 0, "a pid: " + started);
    return started;
  }

  /**
   * The next stdout line, which must be {@code text} (not JSON-RPC, so the decoder calls it
   * garbage).
   */
  private static void expectLine(Launched child, String text) {
    StdoutFrame frame = child.stdout().expectMessageClass(StdoutFrame.class, PROCESS_WAIT);
    assertEquals(
        text, assertInstanceOf(StdoutFrame.Garbage.class, frame).preview(), frame.toString());
  }

  @Test
  void closedStdinIsFollowedBySigtermAfterTheGracePeriodAndSigkillAfterTheKillPeriod()
      throws Exception {
    // it says when stdin closes and when SIGTERM comes, and goes on running after both
    Launched child =
        launch(
            "trap 'echo got-term' TERM; cat >/dev/null; echo stdin-closed; while true; do sleep 1; done",
            Optional.empty());
    long pid = awaitStarted(child).pid();
    try {
      assertTrue(Processes.alive(pid));

      child.actor().tell(ChildProcess.CloseStdin.INSTANCE);
      expectLine(child, "stdin-closed"); // the grace timer was set with it
      time.timePasses(GRACE.minus(STEP));
      child.stdout().expectNoMessage(QUIET);
      time.timePasses(STEP);
      expectLine(child, "got-term"); // the kill timer was set before SIGTERM was sent
      child.reports().expectNoMessage(QUIET);
      assertTrue(Processes.alive(pid), "it ignored SIGTERM");

      time.timePasses(KILL.minus(STEP));
      child.reports().expectNoMessage(QUIET);
      time.timePasses(STEP);
      ChildProcess.Exited exited =
          child.reports().expectMessageClass(ChildProcess.Exited.class, PROCESS_WAIT);
      assertEquals(1, exited.generation());
      assertEquals(Optional.empty(), exited.launchFailure());
      assertEquals(Optional.of(137), exited.exitCode(), "killed by SIGKILL: " + exited);
      Await.until(PROCESS_WAIT, "pid " + pid + " is gone", () -> !Processes.alive(pid));
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
      child
          .reports()
          .expectTerminated(child.actor(), PROCESS_WAIT); // it stops after reporting the exit
    } finally {
      Processes.kill(pid);
    }
  }

  @Test
  void stoppingTheActorKillsTheWholeProcessTree() throws Exception {
    Launched child = launch("sleep 600 & sleep 600 & wait", Optional.empty());
    long pid = awaitStarted(child).pid();
    ProcessHandle root = ProcessHandle.of(pid).orElseThrow();
    Await.until(
        PROCESS_WAIT, "the child has forked its two sleeps", () -> root.descendants().count() >= 2);
    List<Long> tree = root.descendants().map(ProcessHandle::pid).toList();
    try {
      testKit.stop(child.actor());
      Await.until(
          PROCESS_WAIT,
          "the child and its descendants " + tree + " are gone",
          () -> !Processes.alive(pid) && tree.stream().noneMatch(Processes::alive));
    } finally {
      Processes.kill(pid);
      Processes.kill(tree.stream().mapToLong(Long::longValue).toArray());
    }
  }

  /**
   * The command runs under {@code sh -c}: one that does not exist is sh's exit 127, not a launch
   * failure.
   */
  @Test
  void aCommandThatDoesNotExistExitsWithTheShellsNotFoundCode() {
    Launched child = launch("/nonexistent/mcp-server-" + ids.incrementAndGet(), Optional.empty());
    awaitStarted(child);
    ChildProcess.Exited exited =
        child.reports().expectMessageClass(ChildProcess.Exited.class, PROCESS_WAIT);
    assertEquals(Optional.of(127), exited.exitCode(), exited.toString());
    assertEquals(Optional.empty(), exited.launchFailure());
  }

  @Test
  void aProcessThatCannotBeStartedIsReportedAsALaunchFailure() {
    Launched child = launch("true", Optional.of("/nonexistent/dir-" + ids.incrementAndGet()));
    ChildProcess.Report report = child.reports().receiveMessage(PROCESS_WAIT);
    ChildProcess.Exited exited =
        assertInstanceOf(ChildProcess.Exited.class, report, "no Started: " + report);
    assertTrue(exited.launchFailure().isPresent(), exited.toString());
    assertEquals(Optional.empty(), exited.exitCode());
    child.reports().expectTerminated(child.actor(), PROCESS_WAIT);
  }
}
