package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.child.ProcessTree;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcCodec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.session.Outbound;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.FakeServerCommand;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.TestRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server actor against real child processes: stop modes, process-tree cleanup, slow consumers.
 */
class ServerInstanceTest {

  private static ActorTestKit testKit;
  private static RouterSettings settings;
  private static final AtomicLong ids = new AtomicLong();

  @BeforeAll
  static void start() {
    var config =
        ConfigFactory.parseString(TestRouter.TEST_SETTINGS)
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create("ServerInstanceTest", config);
    settings = RouterSettings.fromConfig(config);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /**
   * A client's stream on probes ({@link ProbeOutbound}, refusing after {@code capacity} messages):
   * responses are awaited by id, other messages kept for later calls.
   */
  private static final class ProbeClient {
    private static final Duration RESPONSE_WAIT = Duration.ofSeconds(15);
    final TestProbe<JsonRpcMessage> messages = testKit.createTestProbe();
    final TestProbe<String> ends = testKit.createTestProbe();
    final ProbeOutbound outbound;
    private final List<JsonRpcMessage> unclaimed = new ArrayList<>();

    ProbeClient(int capacity) {
      outbound = new ProbeOutbound(messages.getRef(), ends.getRef(), capacity);
    }

    /** The response with this id; other messages are kept for later calls. */
    JsonRpcMessage.Response awaitResponse(long id) {
      for (Iterator<JsonRpcMessage> it = unclaimed.iterator(); it.hasNext(); ) {
        if (it.next() instanceof JsonRpcMessage.Response r && r.id().asLong() == id) {
          it.remove();
          return r;
        }
      }
      long deadline = System.nanoTime() + RESPONSE_WAIT.toNanos();
      while (true) {
        JsonRpcMessage m;
        try {
          m = messages.receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } catch (AssertionError timedOut) {
          throw new AssertionError("no response " + id + "; got " + unclaimed, timedOut);
        }
        if (m instanceof JsonRpcMessage.Response r && r.id().asLong() == id) {
          return r;
        }
        unclaimed.add(m);
      }
    }
  }

  private record Started(
      ActorRef<ServerInstance.Command> server, TestProbe<ServerInstance.Lifecycle> lifecycle) {}

  private Started spawn(String command, boolean shared) {
    return spawn(
        new ServerSpec(
            "test-" + ids.incrementAndGet(),
            command,
            shared,
            Map.of(),
            Optional.empty(),
            Optional.empty()),
        settings);
  }

  private Started spawn(ServerSpec spec, RouterSettings with) {
    TestProbe<ServerInstance.Lifecycle> lifecycle = testKit.createTestProbe();
    return new Started(
        testKit.spawn(ServerInstance.create(spec, with, lifecycle.getRef())), lifecycle);
  }

  private static ServerSpec fakeWith(
      Optional<Duration> requestTimeout, Optional<Duration> idleTimeout, String... args) {
    return new ServerSpec(
        "test-" + ids.incrementAndGet(),
        FakeServerCommand.commandLine(args),
        true,
        Map.of(),
        Optional.empty(),
        Optional.empty(),
        requestTimeout,
        idleTimeout);
  }

  @Test
  void aRequestOverItsKeysTimeoutIsAnsweredWithAnErrorAndCancelledAtTheChild() throws Exception {
    Started started =
        spawn(fakeWith(Optional.of(Duration.ofMillis(1500)), Optional.empty()), settings);
    ProbeClient outbound = new ProbeClient(1000);
    String session = open(started, outbound.outbound);
    // the child answers first, so the timeout below measures the call, not the child JVM's start
    deliver(started, session, toolCall(0, "echo", Map.of("text", "ready")));
    outbound.awaitResponse(0);
    deliver(started, session, toolCall(1, "sleep", Map.of("ms", 20_000)));
    JsonRpcMessage.Response timedOut = outbound.awaitResponse(1);
    assertEquals(-32004, timedOut.error().path("code").asInt(), timedOut.toString());
    assertTrue(
        timedOut.error().path("message").asText().contains("within 1500 ms"), timedOut.toString());
    deliver(started, session, toolCall(2, "stats", Map.of()));
    JsonNode stats = JsonRpcCodec.MAPPER.readTree(text(outbound.awaitResponse(2)));
    assertEquals(1, stats.path("cancelled").size(), "the child was told to cancel: " + stats);
    assertEquals(0, stats.path("initialize").asInt());
    started
        .server()
        .tell(
            new ServerInstance.Stop(
                ServerInstance.StopMode.FORCE,
                testKit.<ServerInstance.Stopped>createTestProbe().getRef()));
    started.lifecycle().expectTerminated(started.server(), Duration.ofSeconds(10));
  }

  @Test
  void aChildThatNeverAnswersInitializeIsKilledAndReported() throws Exception {
    RouterSettings quick =
        RouterSettings.fromConfig(
            ConfigFactory.parseString("mcprouter.server-defaults.initialize-timeout = 1s")
                .withFallback(testKit.system().settings().config()));
    Started started = spawn(fakeWith(Optional.empty(), Optional.empty(), "--no-initialize"), quick);
    ProbeClient outbound = new ProbeClient(1000);
    String session = open(started, outbound.outbound);
    long pid = childPid(started);
    ObjectNode params = JsonRpcCodec.MAPPER.createObjectNode().put("protocolVersion", "2025-06-18");
    deliver(started, session, new JsonRpcMessage.Request(IntNode.valueOf(1), "initialize", params));
    JsonRpcMessage.Response failed = outbound.awaitResponse(1);
    assertTrue(
        failed
            .error()
            .path("message")
            .asText()
            .contains("did not answer initialize within 1000 ms"),
        failed.toString());
    started.lifecycle().expectTerminated(started.server(), Duration.ofSeconds(10));
    Await.until(Duration.ofSeconds(5), "the child was killed", () -> !Processes.alive(pid));
  }

  @Test
  void anIdleSharedChildIsStoppedAfterItsIdleTimeout() throws Exception {
    Started started =
        spawn(fakeWith(Optional.empty(), Optional.of(Duration.ofSeconds(1))), settings);
    long pid = childPid(started);
    started.lifecycle().expectTerminated(started.server(), Duration.ofSeconds(10));
    Await.until(Duration.ofSeconds(5), "the idle child exited", () -> !Processes.alive(pid));
  }

  private static String open(Started started, Outbound outbound) {
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    String sessionId = "s" + ids.incrementAndGet();
    started
        .server()
        .tell(
            new ServerInstance.OpenSession(sessionId, outbound, Optional.empty(), reply.getRef()));
    reply.expectMessageClass(ServerInstance.SessionOpened.class);
    return sessionId;
  }

  private static void deliver(Started started, String sessionId, JsonRpcMessage message) {
    TestProbe<ServerInstance.DeliverReply> reply = testKit.createTestProbe();
    started.server().tell(new ServerInstance.Deliver(sessionId, message, reply.getRef()));
    reply.expectMessage(ServerInstance.Accepted.INSTANCE);
  }

  private static JsonRpcMessage.Request toolCall(long id, String tool, Map<String, Object> args) {
    ObjectNode params = JsonRpcCodec.MAPPER.createObjectNode().put("name", tool);
    params.set("arguments", JsonRpcCodec.MAPPER.valueToTree(args));
    return new JsonRpcMessage.Request(IntNode.valueOf((int) id), "tools/call", params);
  }

  private static String text(JsonRpcMessage.Response response) {
    return response.result().path("content").path(0).path("text").asText();
  }

  /** The child's pid, as operators see it in the server's status, once it has started. */
  private static long childPid(Started started) throws InterruptedException {
    TestProbe<ServerInstance.Status> status = testKit.createTestProbe();
    long[] pid = {-1};
    Await.until(
        Duration.ofSeconds(10),
        "the child started",
        () -> {
          started.server().tell(new ServerInstance.GetStatus(status.getRef()));
          pid[0] = status.receiveMessage(Duration.ofSeconds(5)).pid();
          return pid[0] > 0;
        });
    return pid[0];
  }

  @Test
  void gracefulStopLetsRequestsInFlightFinishThenTheChildExits() throws Exception {
    Started started = spawn(FakeServerCommand.commandLine(), true);
    ProbeClient outbound = new ProbeClient(1000);
    String session = open(started, outbound.outbound);
    long pid = childPid(started);
    for (int i = 1; i <= 5; i++) {
      deliver(started, session, toolCall(i, "sleep", Map.of("ms", 300, "text", "slow " + i)));
    }
    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    started
        .server()
        .tell(new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, stopped.getRef()));
    // new requests are refused while draining
    TestProbe<ServerInstance.DeliverReply> refused = testKit.createTestProbe();
    started
        .server()
        .tell(
            new ServerInstance.Deliver(
                session, toolCall(99, "echo", Map.of("text", "late")), refused.getRef()));
    assertTrue(
        refused
            .expectMessageClass(ServerInstance.Rejected.class)
            .error()
            .message()
            .contains("stopping"));
    for (int i = 1; i <= 5; i++) {
      assertEquals("slow " + i, text(outbound.awaitResponse(i)));
    }
    ServerInstance.Stopped result =
        stopped.expectMessageClass(ServerInstance.Stopped.class, Duration.ofSeconds(10));
    assertEquals(pid, result.pid());
    assertEquals(Optional.of(0), result.exitCode(), "the child exited by itself on stdin EOF");
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    started.lifecycle().expectTerminated(started.server(), Duration.ofSeconds(10));
  }

  @Test
  void gracefulStopEscalatesToSigkillForAChildThatIgnoresEofAndSigterm() throws Exception {
    // ignores SIGTERM (inherited by its sleeps) and never reads stdin
    Started started = spawn("trap '' TERM; while :; do sleep 0.2; done", true);
    long pid = childPid(started);
    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    long began = System.nanoTime();
    started
        .server()
        .tell(new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, stopped.getRef()));
    ServerInstance.Stopped result =
        stopped.expectMessageClass(ServerInstance.Stopped.class, Duration.ofSeconds(15));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    assertTrue(
        tookMs >= settings.gracePeriod().plus(settings.killPeriod()).toMillis() - 100,
        "it waited for grace and kill periods, took " + tookMs + " ms");
    assertEquals(Optional.of(137), result.exitCode(), "SIGKILL");
    Await.until(
        Duration.ofSeconds(5),
        "no process left in group " + pid,
        () -> ProcessTree.groupMembers(pid).isEmpty());
  }

  @Test
  void forcedStopFailsRequestsInFlightAtOnceAndKillsTheWholeTree() throws Exception {
    Started started = spawn(FakeServerCommand.commandLine(), true);
    ProbeClient outbound = new ProbeClient(1000);
    String session = open(started, outbound.outbound);
    long pid = childPid(started);
    deliver(started, session, toolCall(1, "spawn_child", Map.of()));
    long grandchild = Long.parseLong(text(outbound.awaitResponse(1)));
    deliver(started, session, toolCall(2, "sleep", Map.of("ms", 60_000)));
    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    long began = System.nanoTime();
    started.server().tell(new ServerInstance.Stop(ServerInstance.StopMode.FORCE, stopped.getRef()));
    JsonRpcMessage.Response failed = outbound.awaitResponse(2);
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) < 1000);
    assertTrue(
        failed.error().path("message").asText().contains("force-stopped"), failed.toString());
    stopped.expectMessageClass(ServerInstance.Stopped.class, Duration.ofSeconds(5));
    Await.until(
        Duration.ofSeconds(1),
        "child and grandchild gone",
        () -> !Processes.alive(pid) && !Processes.alive(grandchild));
  }

  @Test
  void aCommandThatCannotRunReportsItsExitCodeAndStderr() throws Exception {
    // reads the request first, so it is in flight when the missing binary makes the shell exit
    // the key opts in to stderr in client errors (expose_stderr; issue 12: off by default)
    Started started =
        spawn(
            new ServerSpec(
                    "test-" + ids.incrementAndGet(),
                    "read request; definitely-not-a-command-xyz",
                    false,
                    Map.of(),
                    Optional.empty(),
                    Optional.empty())
                .withIsolation(ServerSpec.Interactive.ATTRIBUTE, List.of(), true)
                // a shell, not an MCP server: the one line it reads must be the request, not the
                // router's era probe
                .withProtocol(ServerSpec.ChildProtocol.LEGACY),
            settings);
    ProbeClient outbound = new ProbeClient(1000);
    String session = open(started, outbound.outbound);
    deliver(started, session, toolCall(1, "echo", Map.of()));
    JsonNode error = outbound.awaitResponse(1).error();
    assertTrue(error.path("message").asText().contains("exited with code 127"), error.toString());
    assertTrue(
        error.path("data").path("stderr").toString().contains("not found"), error.toString());
    started.lifecycle().expectTerminated(started.server(), Duration.ofSeconds(10));
  }

  @Test
  void aClientThatStopsReadingLosesOnlyItsOwnSession() throws Exception {
    Started started = spawn(FakeServerCommand.commandLine(), true);
    ProbeClient stuck = new ProbeClient(2);
    ProbeClient healthy = new ProbeClient(1000);
    String stuckSession = open(started, stuck.outbound);
    String healthySession = open(started, healthy.outbound);
    for (int i = 1; i <= 5; i++) {
      deliver(started, stuckSession, toolCall(i, "echo", Map.of("text", "x")));
    }
    TestProbe<ServerInstance.DeliverReply> reply = testKit.createTestProbe();
    Await.until(
        Duration.ofSeconds(10),
        "the stuck session is closed",
        () -> {
          started
              .server()
              .tell(
                  new ServerInstance.Deliver(
                      stuckSession, toolCall(100, "echo", Map.of()), reply.getRef()));
          return reply.receiveMessage(Duration.ofSeconds(5))
              instanceof ServerInstance.SessionNotFound;
        });
    deliver(started, healthySession, toolCall(1, "echo", Map.of("text", "fine")));
    assertEquals("fine", text(healthy.awaitResponse(1)));
    started
        .server()
        .tell(
            new ServerInstance.Stop(
                ServerInstance.StopMode.FORCE,
                testKit.<ServerInstance.Stopped>createTestProbe().getRef()));
    started.lifecycle().expectTerminated(started.server(), Duration.ofSeconds(10));
  }
}
