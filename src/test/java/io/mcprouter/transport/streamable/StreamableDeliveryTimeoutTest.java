package io.mcprouter.transport.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.ServerBinding;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.access.McpAccess;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.HttpServer;
import io.mcprouter.http.KnownKeys;
import io.mcprouter.http.connection.Connections;
import io.mcprouter.server.ServerInstance;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.TestRouter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Streamable request whose delivery got no reply in time (504) must not keep its session counted
 * as connected: the session still reaches its idle timeout. A probe stands where the server actor
 * goes, a server under load that never answers the ask.
 */
class StreamableDeliveryTimeoutTest {

  private static ActorTestKit testKit;
  private static ActorRef<ServerRegistry.Command> registry;
  private static SessionDirectory directory;
  private static ServerBinding binding;
  private static McpHttp mcp;

  @BeforeAll
  static void start() throws Exception {
    Config config =
        ConfigFactory.parseString(
                "mcprouter.ask-timeout = 500ms\nmcprouter.streamable.session-idle-timeout = 3s")
            .withFallback(ConfigFactory.parseString(TestRouter.TEST_SETTINGS))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create(config);
    RouterSettings settings = RouterSettings.fromConfig(config);
    RouterConfig routerConfig =
        TestRouter.config(
            TestRouter.servers(TestRouter.fake("fake", true)),
            Optional.empty(),
            "http://127.0.0.1:1");
    directory = new SessionDirectory();
    registry = testKit.spawn(ServerRegistry.create(routerConfig, settings, directory));
    binding =
        HttpServer.start(
                "test",
                new RouterConfig.Listen("127.0.0.1", 0),
                new StreamableHttpRoutes(
                        registry,
                        directory,
                        settings,
                        testKit.system(),
                        McpAccess.keysOnly(new KnownKeys(routerConfig.servers().keySet())),
                        OutputBudget.of(settings, testKit.system()),
                        key -> true)
                    .routes(),
                ErrorHandling.Style.JSON_RPC,
                settings,
                Duration.ofSeconds(1),
                Connections.of(settings, testKit.system()),
                testKit.system())
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    mcp = new McpHttp(binding.localAddress().getPort());
  }

  @AfterAll
  static void stop() throws Exception {
    AskPattern.ask(
            registry, ServerRegistry.StopAll::new, Duration.ofSeconds(30), testKit.scheduler())
        .toCompletableFuture()
        .get(40, TimeUnit.SECONDS);
    testKit.shutdownTestKit();
  }

  @Test
  void aRequestWhoseDeliveryTimedOutLetsItsSessionTimeOutIdle() throws Exception {
    String session = mcp.openSession("fake");
    TestProbe<ServerInstance.Command> unresponsive =
        testKit.createTestProbe(ServerInstance.Command.class);
    directory.put(
        session, directory.lookup(session).orElseThrow().withServer(unresponsive.getRef()));
    HttpResponse<String> timedOut = mcp.call("fake", session, 7, "echo", Map.of("text", "lost"));
    assertEquals(504, timedOut.statusCode(), timedOut.body());
    unresponsive.expectMessageClass(ServerInstance.Deliver.class);
    // before the fix the request's stream waited for an answer for ever, and the session with it
    Await.until(
        Duration.ofSeconds(20),
        () -> "the session ended by its idle timeout; sessions: " + sessions(),
        () -> sessions() == 0);
  }

  private static int sessions() {
    try {
      return AskPattern.<ServerRegistry.Command, ServerRegistry.Clients>ask(
              registry, ServerRegistry.ListClients::new, Duration.ofSeconds(5), testKit.scheduler())
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS)
          .clients()
          .size();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
