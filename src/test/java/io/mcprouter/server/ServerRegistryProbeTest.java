package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.jsonrpc.JsonRpcError;
import io.mcprouter.jsonrpc.JsonRpcMessage;
import io.mcprouter.server.SessionDirectory.Transport;
import io.mcprouter.session.Outbound;
import io.mcprouter.testsupport.TestRouter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry with probes where its instances go (no child process): which instance a session goes
 * to, the limits it refuses with, the stop it fans out, and the fresh instance after a child is
 * gone.
 */
class ServerRegistryProbeTest {

  /** An instance the registry spawned: what it was made from, and its own ref. */
  private record Spawned(
      ServerSpec spec,
      ActorRef<ServerInstance.Lifecycle> lifecycle,
      ActorRef<ServerInstance.Command> self,
      boolean startNow) {}

  /** A message one of the instances received. */
  private record Received(
      ActorRef<ServerInstance.Command> instance, ServerInstance.Command message) {}

  private static ActorTestKit testKit;
  private static Config config;

  private final TestProbe<Spawned> spawns = testKit.createTestProbe();
  private final TestProbe<Received> received = testKit.createTestProbe();
  private final SessionDirectory directory = new SessionDirectory();

  @BeforeAll
  static void start() {
    config =
        ConfigFactory.parseString(TestRouter.TEST_SETTINGS)
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create("ServerRegistryProbeTest", config);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /**
   * Every instance tells the probes it exists and then everything it receives. A forced stop ends
   * it at once; a graceful one leaves it running, as if it were still draining.
   */
  private InstanceFactory probes() {
    return (spec, lifecycle, permits, startNow) ->
        Behaviors.setup(
            context -> {
              spawns.getRef().tell(new Spawned(spec, lifecycle, context.getSelf(), startNow));
              return Behaviors.receiveMessage(
                  message -> {
                    received.getRef().tell(new Received(context.getSelf(), message));
                    return message instanceof ServerInstance.Stop stop
                            && stop.mode() == ServerInstance.StopMode.FORCE
                        ? Behaviors.stopped()
                        : Behaviors.same();
                  });
            });
  }

  private ActorRef<ServerRegistry.Command> registry(String limits) {
    RouterSettings settings =
        RouterSettings.fromConfig(ConfigFactory.parseString(limits).withFallback(config));
    RouterConfig routerConfig =
        TestRouter.config(
            TestRouter.servers(
                TestRouter.fake("shared", true),
                TestRouter.fake("other", true),
                TestRouter.fake("dedicated", false)),
            Optional.empty(),
            "http://127.0.0.1:1");
    Behavior<ServerRegistry.Command> behavior =
        ServerRegistry.create(routerConfig, settings, directory, probes());
    return testKit.spawn(behavior);
  }

  private static void open(
      ActorRef<ServerRegistry.Command> registry,
      String key,
      TestProbe<ServerInstance.OpenSessionReply> replyTo) {
    registry.tell(
        new ServerRegistry.OpenSession(
            key,
            new QuietOutbound(),
            Optional.empty(),
            Transport.SSE,
            Optional.of("alice"),
            replyTo.getRef()));
  }

  /** The OpenSession the registry forwarded, and the instance it went to. */
  private ServerInstance.OpenSession forwarded(ActorRef<ServerInstance.Command> expectedInstance) {
    Received r = received.receiveMessage();
    assertEquals(expectedInstance, r.instance());
    return (ServerInstance.OpenSession) r.message();
  }

  @Test
  void aSharedKeysSessionsGoToOneInstanceIndexedInTheDirectory() {
    ActorRef<ServerRegistry.Command> registry = registry("");
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();

    open(registry, "shared", reply);
    Spawned instance = spawns.receiveMessage();
    assertEquals("shared", instance.spec().key());
    assertTrue(instance.startNow(), "a shared child starts with its first session");
    ServerInstance.OpenSession first = forwarded(instance.self());
    assertEquals(Optional.empty(), first.first());

    open(registry, "shared", reply);
    ServerInstance.OpenSession second = forwarded(instance.self());
    // an instance announces itself before it receives anything: none was spawned for the second
    // session
    spawns.expectNoMessage(Duration.ZERO);
    assertNotEquals(first.sessionId(), second.sessionId());

    SessionDirectory.Entry entry = directory.lookup(second.sessionId()).orElseThrow();
    assertEquals(instance.self(), entry.server());
    assertEquals("shared", entry.key());
    assertEquals(Transport.SSE, entry.transport());
    assertEquals(Optional.of("alice"), entry.owner());
    assertEquals(2, directory.sessionsOf("shared"));
    reply.expectNoMessage(Duration.ZERO); // the instance answers the opening, not the registry
  }

  @Test
  void thePerKeyLimitRefusesNamingItsSettingAndARefusedSessionFreesItsPlace() {
    ActorRef<ServerRegistry.Command> registry =
        registry("mcprouter.limits.max-sessions-per-key = 2");
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    open(registry, "shared", reply);
    Spawned instance = spawns.receiveMessage();
    ServerInstance.OpenSession first = forwarded(instance.self());
    open(registry, "shared", reply);
    forwarded(instance.self());

    LoggingTestKit.warn("setting=mcprouter.limits.max-sessions-per-key")
        .expect(
            testKit.system(),
            () -> {
              open(registry, "shared", reply);
              return null;
            });
    ServerInstance.OpenRejected rejected =
        reply.expectMessageClass(ServerInstance.OpenRejected.class);
    assertEquals("limit reached: server 'shared' has its maximum of 2 sessions", rejected.reason());

    // the instance could not open one (it was stopping): its place is free again
    instance.lifecycle().tell(new ServerInstance.SessionRefused(first.sessionId()));
    open(registry, "shared", reply);
    forwarded(instance.self());
    assertFalse(directory.lookup(first.sessionId()).isPresent());
  }

  @Test
  void theGlobalLimitCountsEveryKeysSessions() {
    ActorRef<ServerRegistry.Command> registry =
        registry("mcprouter.limits { max-sessions = 3, max-sessions-per-key = 2 }");
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    open(registry, "shared", reply);
    Spawned shared = spawns.receiveMessage();
    forwarded(shared.self());
    open(registry, "shared", reply);
    forwarded(shared.self());
    open(registry, "other", reply);
    Spawned other = spawns.receiveMessage();
    forwarded(other.self());

    LoggingTestKit.warn("setting=mcprouter.limits.max-sessions")
        .expect(
            testKit.system(),
            () -> {
              open(registry, "other", reply);
              return null;
            });
    ServerInstance.OpenRejected rejected =
        reply.expectMessageClass(ServerInstance.OpenRejected.class);
    assertEquals("limit reached: the router holds its maximum of 3 sessions", rejected.reason());
    assertEquals(3, directory.size());
  }

  @Test
  void stopServerReachesEachInstanceOfTheKeyAndTheirReportComesBack() {
    ActorRef<ServerRegistry.Command> registry = registry("");
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    open(registry, "dedicated", reply);
    Spawned a = spawns.receiveMessage();
    assertFalse(a.startNow(), "a legacy session's own child waits for its first message");
    forwarded(a.self());
    open(registry, "dedicated", reply);
    Spawned b = spawns.receiveMessage();
    forwarded(b.self());
    open(registry, "shared", reply);
    Spawned untouched = spawns.receiveMessage();
    forwarded(untouched.self());

    TestProbe<ServerRegistry.StopServerReply> report = testKit.createTestProbe();
    registry.tell(
        new ServerRegistry.StopServer(
            "dedicated", ServerInstance.StopMode.GRACEFUL, report.getRef()));
    List<Received> stops = received.receiveSeveralMessages(2);
    assertEquals(
        Set.of(a.self(), b.self()),
        stops.stream().map(Received::instance).collect(Collectors.toSet()));
    long pid = 100;
    for (Received stop : stops) {
      ServerInstance.Stop command = (ServerInstance.Stop) stop.message();
      assertEquals(ServerInstance.StopMode.GRACEFUL, command.mode());
      command
          .replyTo()
          .tell(
              new ServerInstance.Stopped(
                  "dedicated",
                  ++pid,
                  Optional.of(0),
                  ServerInstance.StopMode.GRACEFUL,
                  1,
                  0,
                  Duration.ofMillis(5)));
    }

    ServerRegistry.StopReport done = report.expectMessageClass(ServerRegistry.StopReport.class);
    assertEquals("dedicated", done.key());
    assertEquals(
        Set.of(101L, 102L),
        done.stopped().stream().map(ServerInstance.Stopped::pid).collect(Collectors.toSet()));
    received.expectNoMessage(Duration.ZERO); // the shared key's instance was not asked to stop
  }

  @Test
  void anInstanceWhoseChildIsGoneTakesNoNewSessionsAFreshOneDoes() {
    ActorRef<ServerRegistry.Command> registry = registry("");
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    open(registry, "shared", reply);
    Spawned dying = spawns.receiveMessage();
    forwarded(dying.self());

    dying
        .lifecycle()
        .tell(
            new ServerInstance.ChildGone(
                dying.self(), false, new JsonRpcError(JsonRpcError.SERVER_GONE, "exited")));
    open(registry, "shared", reply);

    Spawned fresh = spawns.receiveMessage();
    assertEquals("shared", fresh.spec().key());
    assertNotEquals(dying.self(), fresh.self());
    forwarded(fresh.self());
  }

  @Test
  void crashesOfASharedChildAreCountedPerKeyUntilTheInstanceIsToldToGiveUpAndTheKeyIsBarred() {
    ActorRef<ServerRegistry.Command> registry =
        registry("mcprouter.restart { max-crashes = 1, crash-window = 1h }");
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    open(registry, "shared", reply);
    Spawned instance = spawns.receiveMessage();
    forwarded(instance.self());
    JsonRpcError exited = new JsonRpcError(JsonRpcError.SERVER_GONE, "exited with code 5");

    instance.lifecycle().tell(new ServerInstance.Crashed("shared", instance.self(), exited));
    Received first = received.receiveMessage();
    assertEquals(instance.self(), first.instance());
    assertTrue(
        first.message() instanceof ServerInstance.RestartAfter, "first crash: " + first.message());

    instance.lifecycle().tell(new ServerInstance.Crashed("shared", instance.self(), exited));
    ServerInstance.GiveUp giveUp = (ServerInstance.GiveUp) received.receiveMessage().message();
    assertEquals(
        "is crash-looping (2 failures within 3600 s; last: exited with code 5)", giveUp.reason());

    open(registry, "shared", reply);
    ServerInstance.OpenRejected barred =
        reply.expectMessageClass(ServerInstance.OpenRejected.class);
    assertTrue(barred.reason().startsWith("server 'shared' is crash-looping"), barred.reason());
    spawns.expectNoMessage(Duration.ZERO);
  }

  @Test
  void stopAllStopsEveryInstanceRefusesNewSessionsAndEmptiesTheDirectory() {
    ActorRef<ServerRegistry.Command> registry = registry("");
    TestProbe<ServerInstance.OpenSessionReply> reply = testKit.createTestProbe();
    open(registry, "shared", reply);
    Spawned instance = spawns.receiveMessage();
    forwarded(instance.self());

    TestProbe<Done> done = testKit.createTestProbe();
    registry.tell(new ServerRegistry.StopAll(done.getRef()));
    assertEquals(
        ServerInstance.StopMode.GRACEFUL,
        ((ServerInstance.Stop) received.receiveMessage().message()).mode());
    open(registry, "shared", reply);
    assertEquals(
        new ServerInstance.OpenRejected("the router is shutting down"), reply.receiveMessage());
    spawns.expectNoMessage(Duration.ZERO);

    instance
        .self()
        .tell(new ServerInstance.Stop(ServerInstance.StopMode.FORCE, testKit.system().ignoreRef()));
    done.expectMessage(Done.getInstance());
    assertEquals(0, directory.size(), "a stopped instance's sessions leave the directory with it");
  }

  /** A stream that takes everything and is never unconnected, so no session is evictable. */
  private static final class QuietOutbound implements Outbound {
    private final CompletableFuture<Done> terminated = new CompletableFuture<>();

    @Override
    public OfferResult offer(JsonRpcMessage message) {
      return OfferResult.ENQUEUED;
    }

    @Override
    public void complete() {
      terminated.complete(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> terminated() {
      return terminated;
    }

    @Override
    public String describeBounds() {
      return "unbounded (test)";
    }
  }
}
