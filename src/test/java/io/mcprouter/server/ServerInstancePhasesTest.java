package io.mcprouter.server;

import static io.mcprouter.server.InstanceHarness.answer;
import static io.mcprouter.server.InstanceHarness.initialize;
import static io.mcprouter.server.InstanceHarness.initializeResult;
import static io.mcprouter.server.InstanceHarness.initialized;
import static io.mcprouter.server.InstanceHarness.next;
import static io.mcprouter.server.InstanceHarness.request;
import static io.mcprouter.server.InstanceHarness.response;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.FishingOutcomes;
import akka.actor.testkit.typed.javadsl.ManualTime;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.stream.BoundedSourceQueue;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.child.ChildProcess;
import io.mcprouter.child.StdioConnection;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
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
 * The phases of {@link ServerInstance} with the child played by the test (see {@link
 * InstanceHarness}) and every timer on {@link ManualTime}: "not before" is checked without waiting
 * and "after" without a real timeout.
 */
class ServerInstancePhasesTest {

  private static final Duration DRAIN = Duration.ofSeconds(3);
  private static final Duration BACKOFF = Duration.ofSeconds(1);
  private static final int MAX_CRASHES = 2;
  private static final Duration STEP = Duration.ofMillis(1);
  private static final Duration QUIET = Duration.ofMillis(200);

  private static ActorTestKit testKit;
  private static ManualTime time;
  private static RouterSettings settings;

  @BeforeAll
  static void start() {
    // the backoff without jitter, so the test knows when the restart is due; the handshake limit
    // far
    // beyond the virtual time these tests pass, so no session closes for want of one
    Config config =
        ManualTime.config()
            .withFallback(
                ConfigFactory.parseString(
                    String.join(
                        "\n",
                        "mcprouter.stop.drain-timeout = " + DRAIN.toMillis() + "ms",
                        "mcprouter.restart.min-backoff = " + BACKOFF.toMillis() + "ms",
                        "mcprouter.restart.max-backoff = " + BACKOFF.toMillis() + "ms",
                        "mcprouter.restart.random-factor = 0",
                        "mcprouter.restart.max-crashes = " + MAX_CRASHES,
                        "mcprouter.session.handshake-timeout = 10h")))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create("ServerInstancePhasesTest", config);
    time = ManualTime.get(testKit.system());
    settings = RouterSettings.fromConfig(config);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static InstanceHarness shared() {
    return new InstanceHarness(testKit, settings, true, true);
  }

  /**
   * A child whose stdin pipe is already gone (it died, or closed stdin) when a request is written:
   * the request waits for the exit and is refused with its reason, and the child is ended; before,
   * it was refused at once as "busy: its stdin buffer is full", which sent clients to retry a dead
   * child.
   */
  @Test
  void aRequestToAChildWhoseStdinIsGoneIsAnsweredWithTheExitNotWithBusy() throws Exception {
    InstanceHarness server = new InstanceHarness(testKit, settings, false, true);
    Launch first = server.awaitLaunch(1);
    Session session = server.open();
    BoundedSourceQueue<JsonRpcMessage> broken =
        Source.<JsonRpcMessage>queue(4).to(Sink.ignore()).run(testKit.system());
    broken.complete();
    first.reports().tell(new ChildProcess.Started(1, 701, StdioConnection.Handle.over(broken)));

    TestProbe<ServerInstance.DeliverReply> reply =
        server.deliver(session, request(1, "tools/list"));
    assertEquals(
        new ChildProcess.Terminate(ChildProcess.Termination.NOW),
        server.child.receiveMessage(),
        "a child that cannot be written to is ended");
    reply.expectNoMessage(QUIET);

    server.exits(first, 9);
    ServerInstance.Rejected rejected =
        assertInstanceOf(ServerInstance.Rejected.class, reply.receiveMessage());
    assertEquals(JsonRpcError.SERVER_GONE, rejected.error().code(), rejected.toString());
    assertTrue(rejected.error().message().contains("exited with code 9"), rejected.toString());
  }

  private static InstanceHarness askingItsEra() {
    return new InstanceHarness(
        testKit,
        settings,
        InstanceHarness.spec(true, Optional.empty(), Optional.empty())
            .withProtocol(ServerSpec.ChildProtocol.AUTO),
        true);
  }

  @Test
  void aNewChildIsAskedItsEraFirstAndA2025AnswerLetsTheSessionsMessagesThrough() throws Exception {
    InstanceHarness server = askingItsEra();
    Launch first = server.awaitLaunch(1);
    Session session = server.open();
    server.deliver(session, initialize(1));
    TestProbe<JsonRpcMessage> stdin = server.started(first, 77);
    JsonRpcMessage.Request probe = next(stdin, JsonRpcMessage.Request.class);
    assertEquals("server/discover", probe.method());
    stdin.expectNoMessage(QUIET); // the session's initialize waits for the answer
    server.writes(
        first,
        JsonRpcMessage.failure(
            probe.id(), new JsonRpcError(JsonRpcError.METHOD_NOT_FOUND, "no such method")));
    assertEquals("initialize", next(stdin, JsonRpcMessage.Request.class).method());
    assertEquals(
        new ServerInstance.EraLearned(server.key, ServerSpec.ChildProtocol.LEGACY),
        server
            .lifecycle
            .fishForMessage(
                Duration.ofSeconds(5),
                m ->
                    m instanceof ServerInstance.EraLearned
                        ? FishingOutcomes.complete()
                        : FishingOutcomes.continueAndIgnore())
            .get(0));
  }

  @Test
  void aChildThatAnswersDiscoverIsBridgedInitializeAnsweredByTheRouterAndMetaAdded()
      throws Exception {
    InstanceHarness server = askingItsEra();
    Launch first = server.awaitLaunch(1);
    Session session = server.open();
    server.deliver(session, initialize(1));
    TestProbe<JsonRpcMessage> stdin = server.started(first, 78);
    JsonRpcMessage.Request probe = next(stdin, JsonRpcMessage.Request.class);
    ObjectNode discover = JsonNodeFactory.instance.objectNode();
    discover.putArray("supportedVersions").add("2026-07-28");
    discover.putObject("capabilities").putObject("tools");
    discover
        .putObject("_meta")
        .putObject("io.modelcontextprotocol/serverInfo")
        .put("name", "modern")
        .put("version", "2");
    server.writes(first, JsonRpcMessage.success(probe.id(), discover));

    JsonRpcMessage.Response init = response(session, 1);
    assertEquals("modern", init.result().path("serverInfo").path("name").asText(), init.toString());
    server.deliver(session, request(2, "tools/list"));
    JsonRpcMessage.Request toChild = next(stdin, JsonRpcMessage.Request.class);
    assertEquals("tools/list", toChild.method(), "no initialize reaches a 2026 child");
    assertEquals(
        "2026-07-28",
        toChild.params().path("_meta").path("io.modelcontextprotocol/protocolVersion").asText());
  }

  @Test
  void aChildThatDoesNotAnswerDiscoverIsReplacedByOneThatIsNotAsked() throws Exception {
    InstanceHarness server = askingItsEra();
    Launch first = server.awaitLaunch(1);
    Session session = server.open();
    server.deliver(session, initialize(1));
    TestProbe<JsonRpcMessage> stdin = server.started(first, 79);
    assertEquals("server/discover", next(stdin, JsonRpcMessage.Request.class).method());
    time.timePasses(Duration.ofSeconds(5).plus(STEP));
    assertEquals(
        new ChildProcess.Terminate(ChildProcess.Termination.NOW),
        server.child.receiveMessage(),
        "the child left in doubt is ended");
    Launch second = server.awaitLaunch(2);
    TestProbe<JsonRpcMessage> secondStdin = server.started(second, 80);
    assertEquals("initialize", next(secondStdin, JsonRpcMessage.Request.class).method());
  }

  @Test
  void messagesDeliveredWhileStartingReachStdinInOrderAfterStarted() throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    Session session = server.open();
    TestProbe<ServerInstance.DeliverReply> init = server.deliver(session, initialize(1));
    TestProbe<ServerInstance.DeliverReply> call = server.deliver(session, request(2, "tools/list"));
    assertEquals("starting", server.status().status());
    init.expectNoMessage(QUIET); // stashed: answered when the child can take them

    TestProbe<JsonRpcMessage> stdin = server.started(first, 4242);
    JsonRpcMessage.Request sentInit = next(stdin, JsonRpcMessage.Request.class);
    assertEquals("initialize", sentInit.method());
    JsonRpcMessage.Request sentCall = next(stdin, JsonRpcMessage.Request.class);
    assertEquals("tools/list", sentCall.method());
    init.expectMessage(ServerInstance.Accepted.INSTANCE);
    call.expectMessage(ServerInstance.Accepted.INSTANCE);
    ServerInstance.Status status = server.status();
    assertEquals("running", status.status());
    assertEquals(4242, status.pid());
    assertEquals(2, status.inFlight());

    server.writes(first, initializeResult(sentInit.id()));
    assertEquals("2025-06-18", response(session, 1).result().path("protocolVersion").asText());
  }

  @Test
  void aGracefulStopWaitsForTheRequestInFlightThenClosesStdinAndReportsOnExit() throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    TestProbe<JsonRpcMessage> stdin = server.started(first, 101);
    Session session = server.open();
    server.deliverAccepted(session, request(7, "tools/call"));
    JsonRpcMessage.Request sent = next(stdin, JsonRpcMessage.Request.class);

    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    server.instance.tell(
        new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, stopped.getRef()));
    assertEquals("draining", server.status().status());
    server.child.expectNoMessage(QUIET); // stdin stays open while a request is in flight
    TestProbe<ServerInstance.DeliverReply> refused =
        server.deliver(session, request(8, "tools/call"));
    ServerInstance.Rejected rejected =
        assertInstanceOf(ServerInstance.Rejected.class, refused.receiveMessage());
    assertEquals(
        JsonRpcError.UNAVAILABLE, rejected.error().code(), "no new requests while draining");

    server.writes(first, answer(sent.id()));
    assertTrue(response(session, 7).result().path("answered").asBoolean());
    server.child.expectMessage(ChildProcess.CloseStdin.INSTANCE);
    stopped.expectNoMessage(QUIET); // the stop is answered when the child has exited

    server.exits(first, 0);
    ServerInstance.Stopped report = stopped.receiveMessage();
    assertEquals(ServerInstance.StopMode.GRACEFUL, report.mode());
    assertEquals(1, report.requestsCompleted(), report.toString());
    assertEquals(0, report.requestsFailed(), report.toString());
    assertEquals(Optional.of(0), report.exitCode());
    assertEquals(101, report.pid());
    assertFalse(
        server.awaitLifecycle(ServerInstance.ChildGone.class).failed(), "a stop is not a failure");
    session.ends().expectMessage("complete");
    server.lifecycle.expectTerminated(server.instance);
  }

  @Test
  void aGracefulStopClosesStdinWhenTheDrainTimeoutPasses() throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    TestProbe<JsonRpcMessage> stdin = server.started(first, 102);
    Session session = server.open();
    server.deliverAccepted(session, request(1, "tools/call"));
    next(stdin, JsonRpcMessage.Request.class);

    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    server.instance.tell(
        new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, stopped.getRef()));
    assertEquals("draining", server.status().status()); // the drain timer is set
    time.timePasses(DRAIN.minus(STEP));
    server.child.expectNoMessage(
        QUIET); // not ManualTime.expectNoMessageFor: that one lets virtual time pass too
    time.timePasses(STEP);
    server.child.expectMessage(ChildProcess.CloseStdin.INSTANCE);
    assertEquals("stopping", server.status().status());

    server.exits(first, 0);
    ServerInstance.Stopped report = stopped.receiveMessage();
    JsonRpcMessage.Response failed = response(session, 1);
    assertEquals(JsonRpcError.SERVER_GONE, failed.error().path("code").asInt(), failed.toString());
    assertEquals(
        1, report.requestsFailed(), "the unanswered request failed when the child went: " + report);
  }

  @Test
  void aForcedStopFailsTheRequestInFlightAtOnceAndKillsTheChild() throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    TestProbe<JsonRpcMessage> stdin = server.started(first, 103);
    Session session = server.open();
    server.deliverAccepted(session, request(5, "tools/call"));
    next(stdin, JsonRpcMessage.Request.class);

    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    server.instance.tell(new ServerInstance.Stop(ServerInstance.StopMode.FORCE, stopped.getRef()));
    JsonRpcMessage.Response failed = response(session, 5);
    assertEquals(JsonRpcError.SERVER_GONE, failed.error().path("code").asInt(), failed.toString());
    assertTrue(
        failed.error().path("message").asText().contains("force-stopped"), failed.toString());
    server.child.expectMessage(new ChildProcess.Terminate(ChildProcess.Termination.NOW));

    server.exits(first, 137);
    ServerInstance.Stopped report = stopped.receiveMessage();
    assertEquals(ServerInstance.StopMode.FORCE, report.mode());
    assertEquals(0, report.requestsCompleted(), report.toString());
    assertEquals(1, report.requestsFailed(), report.toString());
    server.lifecycle.expectTerminated(server.instance);
  }

  @Test
  void aCrashedSharedChildIsRestartedAfterTheBackoffAndInitializedAgainBeforeTheStashedMessages()
      throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    TestProbe<JsonRpcMessage> stdin = server.started(first, 201);
    Session session = server.open();
    server.deliverAccepted(session, initialize(1));
    JsonRpcMessage.Request sentInit = next(stdin, JsonRpcMessage.Request.class);
    server.writes(first, initializeResult(sentInit.id()));
    response(session, 1);
    server.deliverAccepted(session, initialized());
    next(stdin, JsonRpcMessage.Notification.class);
    server.deliverAccepted(session, request(2, "tools/call"));
    next(stdin, JsonRpcMessage.Request.class);

    server.exits(first, 3);
    JsonRpcMessage.Response failed = response(session, 2);
    assertEquals(JsonRpcError.SERVER_GONE, failed.error().path("code").asInt(), failed.toString());
    assertEquals(3, failed.error().path("data").path("exitCode").asInt(), failed.toString());
    // the registry counts the key's crashes; here the test answers for it
    ServerInstance.Crashed crashed = server.awaitLifecycle(ServerInstance.Crashed.class);
    assertEquals(server.instance, crashed.server());
    server.instance.tell(new ServerInstance.RestartAfter(BACKOFF));
    assertEquals("restarting", server.status().status()); // the restart timer is set
    TestProbe<ServerInstance.DeliverReply> waiting =
        server.deliver(session, request(3, "tools/list"));
    time.timePasses(BACKOFF.minus(STEP));
    server.assertNoLaunch();
    session.ends().expectNoMessage(QUIET); // the session stays through the crash

    time.timePasses(STEP);
    Launch second = server.awaitLaunch(2);
    waiting.expectNoMessage(QUIET);
    TestProbe<JsonRpcMessage> newStdin = server.started(second, 202);
    JsonRpcMessage.Request replayed = next(newStdin, JsonRpcMessage.Request.class);
    assertEquals("initialize", replayed.method(), "the cached initialize comes first");
    assertEquals(sentInit.params(), replayed.params(), "with the first child's parameters");
    newStdin.expectNoMessage(QUIET); // nothing else before the new child has answered it
    assertEquals(1, server.status().restarts());

    server.writes(second, initializeResult(replayed.id()));
    JsonRpcMessage.Notification told = next(newStdin, JsonRpcMessage.Notification.class);
    assertEquals("notifications/initialized", told.method());
    JsonRpcMessage.Request stashed = next(newStdin, JsonRpcMessage.Request.class);
    assertEquals("tools/list", stashed.method());
    waiting.expectMessage(ServerInstance.Accepted.INSTANCE);
    session
        .received()
        .expectNoMessage(QUIET); // the replayed initialize's answer is not the client's

    server.writes(second, answer(stashed.id()));
    assertTrue(response(session, 3).result().path("answered").asBoolean());
  }

  @Test
  void aCrashLoopDecidedByTheRegistryEndsTheInstanceAndClosesItsSessions() throws Exception {
    InstanceHarness server = shared();
    Session session = server.open();
    Launch launch = server.awaitLaunch(1);
    server.started(launch, 301);
    server.exits(launch, 3);
    ServerInstance.Crashed crashed = server.awaitLifecycle(ServerInstance.Crashed.class);
    assertEquals(server.key, crashed.key());
    assertEquals(3, crashed.error().data().path("exitCode").asInt(), crashed.toString());
    assertEquals("restarting", server.status().status(), "it waits for the registry's decision");

    server.instance.tell(new ServerInstance.GiveUp("is crash-looping (3 failures within 8 s)"));
    ServerInstance.ChildGone gone = server.awaitLifecycle(ServerInstance.ChildGone.class);
    assertTrue(gone.failed());
    assertTrue(gone.error().message().contains("crash-looping"), gone.toString());
    session.ends().expectMessage("complete");
    server.lifecycle.expectTerminated(server.instance); // so nothing is launched again
  }

  @Test
  void withoutTheRegistrysAnswerACrashedChildIsRestartedAfterTheLongestBackoff() throws Exception {
    InstanceHarness server = shared();
    server.open();
    Launch first = server.awaitLaunch(1);
    server.started(first, 311);
    server.exits(first, 3);
    server.awaitLifecycle(ServerInstance.Crashed.class);
    time.timePasses(BACKOFF.minus(STEP));
    server.assertNoLaunch();
    time.timePasses(STEP);
    server.awaitLaunch(2);
  }

  /**
   * Messages held while the child was starting are handled by the exited phase once it could not
   * start: a request is refused as gone and a stop is answered at once.
   */
  @Test
  void whatWaitedForAChildThatExitedWhileStartingIsRefusedAsGone() throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    Session session = server.open();
    TestProbe<ServerInstance.DeliverReply> held = server.deliver(session, request(1, "tools/list"));
    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    server.instance.tell(
        new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, stopped.getRef()));
    assertEquals("starting", server.status().status());

    first
        .reports()
        .tell(new ChildProcess.Exited(1, Optional.empty(), Optional.of("no such file"), true));
    ServerInstance.Rejected rejected =
        assertInstanceOf(ServerInstance.Rejected.class, held.receiveMessage());
    assertEquals(JsonRpcError.SERVER_GONE, rejected.error().code(), rejected.toString());
    assertTrue(
        rejected.error().message().contains("could not be started: no such file"),
        rejected.toString());
    stopped.receiveMessage();
    assertTrue(server.awaitLifecycle(ServerInstance.ChildGone.class).failed());
    server.lifecycle.expectTerminated(server.instance);
  }

  @Test
  void aStopBeforeTheChildHasStartedIsCarriedOutOnceItHas() throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    Session session = server.open();
    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    server.instance.tell(
        new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, stopped.getRef()));
    assertEquals("starting", server.status().status());
    server.child.expectNoMessage(QUIET); // a process being launched is not asked to stop yet

    server.started(first, 104);
    server.child.expectMessage(
        ChildProcess.CloseStdin.INSTANCE); // nothing in flight: stdin closes at once
    server.exits(first, 0);
    assertEquals(ServerInstance.StopMode.GRACEFUL, stopped.receiveMessage().mode());
    session.ends().expectMessage("complete");
    server.lifecycle.expectTerminated(server.instance);
  }

  @Test
  void aStopWhileACrashedChildWaitsForItsRestartIsAnsweredAtOnceAndNothingIsRestarted()
      throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    server.started(first, 105);
    Session session = server.open();
    server.exits(first, 3);
    assertEquals("restarting", server.status().status());

    TestProbe<ServerInstance.Stopped> stopped = testKit.createTestProbe();
    server.instance.tell(
        new ServerInstance.Stop(ServerInstance.StopMode.GRACEFUL, stopped.getRef()));
    ServerInstance.Stopped report = stopped.receiveMessage();
    assertEquals(Optional.of(3), report.exitCode());
    assertFalse(
        server.awaitLifecycle(ServerInstance.ChildGone.class).failed(), "an operator's stop");
    session.ends().expectMessage("complete");
    server.lifecycle.expectTerminated(server.instance);
    time.timePasses(BACKOFF);
    server.child.expectNoMessage(QUIET);
  }

  /** An exit can be reported before the stdout stream has delivered the child's last lines. */
  @Test
  void answersWrittenBeforeTheExitAreRoutedBeforeWhatIsInFlightIsFailed() throws Exception {
    InstanceHarness server = shared();
    Launch first = server.awaitLaunch(1);
    TestProbe<JsonRpcMessage> stdin = server.started(first, 106);
    Session session = server.open();
    server.deliverAccepted(session, request(4, "tools/call"));
    JsonRpcMessage.Request sent = next(stdin, JsonRpcMessage.Request.class);

    first.reports().tell(new ChildProcess.Exited(1, Optional.of(0), Optional.empty(), true));
    assertEquals(1, server.status().inFlight(), "the exit waits for the end of stdout");
    server.writes(first, answer(sent.id()));
    server.stdoutEnds(first);
    assertTrue(
        response(session, 4).result().path("answered").asBoolean(),
        "the child's own answer, not an error");
    assertEquals(
        "restarting",
        server.status().status(),
        "an exit nobody asked for, with a session: a crash");
  }
}
