package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.fasterxml.jackson.databind.node.IntNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.observe.SessionEnd;
import io.mcprouter.session.ClientSession;
import io.mcprouter.session.Outbound;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.TestRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry: starts servers on first use, one per shared key, one per session otherwise; indexes
 * sessions.
 */
class ServerRegistryTest {

  private static ActorTestKit testKit;
  private static ActorRef<ServerRegistry.Command> registry;
  private static final SessionDirectory directory = new SessionDirectory();
  private static Config config;

  @BeforeAll
  static void start() {
    config =
        ConfigFactory.parseString(TestRouter.TEST_SETTINGS)
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create("ServerRegistryTest", config);
    RouterConfig routerConfig =
        new RouterConfig(
            Path.of("test"),
            new RouterConfig.Listen("127.0.0.1", 0),
            new RouterConfig.Listen("127.0.0.1", 0),
            TestRouter.servers(
                TestRouter.fake("shared", true), TestRouter.fake("dedicated", false)));
    registry =
        testKit.spawn(
            ServerRegistry.create(routerConfig, RouterSettings.fromConfig(config), directory));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /**
   * A client's stream that no test here reads: it takes {@code capacity} messages, then refuses.
   */
  private static Outbound unread(int capacity) {
    return new ProbeOutbound(testKit.system().ignoreRef(), testKit.system().ignoreRef(), capacity);
  }

  private static ServerInstance.SessionOpened open(String key) {
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    registry.tell(
        new ServerRegistry.OpenSession(
            key,
            unread(100),
            Optional.empty(),
            SessionDirectory.Transport.SSE,
            Optional.empty(),
            reply.getRef()));
    return reply.expectMessageClass(ServerInstance.SessionOpened.class, Duration.ofSeconds(10));
  }

  private static ServerInstance.DeliverReply deliver(String sessionId, int id) throws Exception {
    return directory
        .deliver(
            sessionId,
            new JsonRpcMessage.Request(IntNode.valueOf(id), "ping", null),
            Duration.ofSeconds(5),
            testKit.scheduler())
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static List<ServerInstance.Status> running() {
    TestProbe<ServerRegistry.RunningServers> reply = testKit.createTestProbe();
    registry.tell(new ServerRegistry.ListRunning(reply.getRef()));
    return reply.receiveMessage().servers();
  }

  @Test
  void unknownKeysAndSessionsAreAnsweredNotTimedOut() throws Exception {
    TestProbe<ServerInstance.OpenSessionReply> open = testKit.createTestProbe();
    registry.tell(
        new ServerRegistry.OpenSession(
            "nope",
            unread(1),
            Optional.empty(),
            SessionDirectory.Transport.SSE,
            Optional.empty(),
            open.getRef()));
    assertEquals(new ServerInstance.UnknownServer("nope"), open.receiveMessage());
    assertEquals(
        new ServerInstance.SessionNotFound("no-such-session"), deliver("no-such-session", 1));
  }

  @Test
  void aSharedKeyRunsOneServerForAllItsSessionsAndADedicatedKeyOnePerSession() throws Exception {
    ServerInstance.SessionOpened a = open("shared");
    ServerInstance.SessionOpened b = open("shared");
    ServerInstance.SessionOpened c = open("dedicated");
    ServerInstance.SessionOpened d = open("dedicated");
    assertNotEquals(a.sessionId(), b.sessionId());
    assertTrue(a.sessionId().matches("[0-9a-f]{32}"));
    // a dedicated session opened without a message (a legacy GET) starts its child at its first
    // message
    assertEquals(ServerInstance.Accepted.INSTANCE, deliver(c.sessionId(), 1));
    assertEquals(ServerInstance.Accepted.INSTANCE, deliver(d.sessionId(), 1));
    Await.until(
        Duration.ofSeconds(10),
        "all children started",
        () -> running().stream().allMatch(r -> r.pid() > 0) && running().size() == 3);
    List<ServerInstance.Status> servers = running();
    assertEquals(1, servers.stream().filter(r -> r.key().equals("shared")).count());
    assertEquals(
        2,
        servers.stream()
            .filter(r -> r.key().equals("shared"))
            .findFirst()
            .orElseThrow()
            .sessions());
    assertEquals(2, servers.stream().filter(r -> r.key().equals("dedicated")).count());

    // the registry lists each session in the directory, so a message reaches its server
    assertEquals(ServerInstance.Accepted.INSTANCE, deliver(c.sessionId(), 1));

    // ending a dedicated session stops its child; the registry forgets the session
    long dedicatedPid =
        servers.stream()
            .filter(r -> r.key().equals("dedicated"))
            .mapToLong(ServerInstance.Status::pid)
            .min()
            .orElseThrow();
    c.session().tell(new ClientSession.Close(SessionEnd.CLIENT_CLOSED, "test"));
    d.session().tell(new ClientSession.Close(SessionEnd.CLIENT_CLOSED, "test"));
    Await.until(
        Duration.ofSeconds(10),
        "dedicated servers gone",
        () -> running().stream().noneMatch(r -> r.key().equals("dedicated")));
    Await.until(
        Duration.ofSeconds(5), "dedicated child exited", () -> !Processes.alive(dedicatedPid));
    assertEquals(new ServerInstance.SessionNotFound(c.sessionId()), deliver(c.sessionId(), 2));

    // StopAll answers once every server is gone, and no child is left
    long sharedPid = running().get(0).pid();
    TestProbe<Done> stopped = testKit.createTestProbe();
    registry.tell(new ServerRegistry.StopAll(stopped.getRef()));
    stopped.expectMessage(Duration.ofSeconds(15), Done.getInstance());
    assertTrue(running().isEmpty());
    Await.until(Duration.ofSeconds(5), "shared child exited", () -> !Processes.alive(sharedPid));
  }

  private static ApiCall.CallReply call(ActorRef<ServerRegistry.Command> target, String key) {
    TestProbe<ApiCall.CallReply> reply = testKit.createTestProbe();
    target.tell(
        new ServerRegistry.Call(key, "tools/list", null, Duration.ofSeconds(5), reply.getRef()));
    return reply.receiveMessage(Duration.ofSeconds(10));
  }

  private static List<ServerInstance.Status> running(ActorRef<ServerRegistry.Command> target) {
    TestProbe<ServerRegistry.RunningServers> reply = testKit.createTestProbe();
    target.tell(new ServerRegistry.ListRunning(reply.getRef()));
    return reply.receiveMessage(Duration.ofSeconds(5)).servers();
  }

  @Test
  void listingRunningServersAfterACrashLoopBarExpiredIsAnsweredAndTheRegistryLivesOn()
      throws Exception {
    var shortWindow =
        ConfigFactory.parseString("mcprouter.restart { max-crashes = 1, crash-window = 1s }")
            .withFallback(config);
    RouterConfig routerConfig =
        new RouterConfig(
            Path.of("test"),
            new RouterConfig.Listen("127.0.0.1", 0),
            new RouterConfig.Listen("127.0.0.1", 0),
            TestRouter.servers(
                TestRouter.fake("healthy", true),
                new ServerSpec(
                    "dies",
                    "echo boom >&2; exit 5",
                    true,
                    Map.of(),
                    Optional.empty(),
                    Optional.empty())));
    ActorRef<ServerRegistry.Command> own =
        testKit.spawn(
            ServerRegistry.create(
                routerConfig, RouterSettings.fromConfig(shortWindow), new SessionDirectory()));
    // children that die at once, one after another, bar the key as crash-looping
    Await.until(
        Duration.ofSeconds(20),
        "the key is barred",
        () ->
            call(own, "dies") instanceof ApiCall.CallFailed f
                && f.error().message().contains("crash-looping"));
    assertTrue(
        running(own).stream().anyMatch(s -> s.key().equals("dies") && s.status().equals("failed")));

    // once the bar has expired, listing forgets it (this threw ConcurrentModificationException and
    // stopped the registry, the actor system's guardian)
    Await.until(
        Duration.ofSeconds(10),
        "the bar expired and is no longer listed",
        () -> running(own).stream().noneMatch(s -> s.status().equals("failed")));
    assertTrue(running(own).stream().noneMatch(s -> s.key().equals("dies")));
    TestProbe<ServerInstance.OpenSessionReply> open = testKit.createTestProbe();
    own.tell(
        new ServerRegistry.OpenSession(
            "healthy",
            unread(10),
            Optional.empty(),
            SessionDirectory.Transport.SSE,
            Optional.empty(),
            open.getRef()));
    open.expectMessageClass(ServerInstance.SessionOpened.class, Duration.ofSeconds(10));
    TestProbe<Done> stopped = testKit.createTestProbe();
    own.tell(new ServerRegistry.StopAll(stopped.getRef()));
    stopped.expectMessage(Duration.ofSeconds(15), Done.getInstance());
  }
}
