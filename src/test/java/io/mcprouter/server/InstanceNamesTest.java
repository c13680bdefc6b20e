package io.mcprouter.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import akka.Done;
import akka.actor.ActorSelection;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.testsupport.TestRouter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An instance's actor name says which key it serves and, for a per-session key's REST calls, that
 * it is their instance.
 */
class InstanceNamesTest {

  private static ActorTestKit testKit;
  private static ActorRef<ServerRegistry.Command> registry;

  @BeforeAll
  static void start() {
    Config config =
        ConfigFactory.parseString(TestRouter.TEST_SETTINGS)
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create("InstanceNamesTest", config);
    RouterConfig routerConfig =
        new RouterConfig(
            Path.of("test"),
            new RouterConfig.Listen("127.0.0.1", 0),
            new RouterConfig.Listen("127.0.0.1", 0),
            TestRouter.servers(TestRouter.fake("solo", false)));
    registry =
        testKit.spawn(
            ServerRegistry.create(
                routerConfig, RouterSettings.fromConfig(config), new SessionDirectory()),
            "registry");
  }

  @AfterAll
  static void stop() {
    TestProbe<Done> stopped = testKit.createTestProbe();
    registry.tell(new ServerRegistry.StopAll(stopped.getRef()));
    stopped.expectMessage(Duration.ofSeconds(15), Done.getInstance());
    testKit.shutdownTestKit();
  }

  /**
   * The children of the registry whose names match {@code pattern} (an actor-selection wildcard).
   */
  private static List<String> instancesNamed(String pattern) throws Exception {
    ActorSelection selection =
        testKit.system().classicSystem().actorSelection(registry.path().child(pattern).toString());
    try {
      return List.of(
          selection
              .resolveOne(Duration.ofSeconds(5))
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS)
              .path()
              .name());
    } catch (ExecutionException notFound) {
      return List.of();
    }
  }

  @Test
  void theRestCallsInstanceOfAPerSessionKeyIsNamedForThem() throws Exception {
    TestProbe<ApiCall.CallReply> reply = testKit.createTestProbe();
    registry.tell(
        new ServerRegistry.Call("solo", "tools/list", null, Duration.ofSeconds(5), reply.getRef()));
    assertInstanceOf(ApiCall.CallResult.class, reply.receiveMessage(Duration.ofSeconds(10)));

    // before, it was "server-solo-1", the name a session's own instance of the key has
    assertEquals(List.of("server-solo-api-1"), instancesNamed("server-solo-api-*"));
  }
}
