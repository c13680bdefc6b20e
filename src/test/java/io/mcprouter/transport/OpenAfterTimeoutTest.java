package io.mcprouter.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Directives;
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
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.McpHttp;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import io.mcprouter.transport.sse.LegacySseRoutes;
import io.mcprouter.transport.streamable.StreamableHttpRoutes;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An open whose ask timed out (504) leaves nothing behind: the test's probe holds the open until
 * the client has its 504 and only then hands it to a real registry, as a registry under load would.
 */
class OpenAfterTimeoutTest {

  private static ActorTestKit testKit;
  private static ActorRef<ServerRegistry.Command> registry;
  private static TestProbe<ServerRegistry.Command> slowRegistry;
  private static ServerBinding binding;
  private static McpHttp mcp;

  @BeforeAll
  static void start() throws Exception {
    Config config =
        ConfigFactory.parseString("mcprouter.ask-timeout = 500ms")
            .withFallback(ConfigFactory.parseString(TestRouter.TEST_SETTINGS))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    testKit = ActorTestKit.create(config);
    RouterSettings settings = RouterSettings.fromConfig(config);
    RouterConfig routerConfig =
        TestRouter.config(
            TestRouter.servers(TestRouter.fake("solo", false, "--no-initialize")),
            Optional.empty(),
            "http://127.0.0.1:1");
    SessionDirectory directory = new SessionDirectory();
    registry = testKit.spawn(ServerRegistry.create(routerConfig, settings, directory));
    slowRegistry = testKit.createTestProbe(ServerRegistry.Command.class);
    binding =
        HttpServer.start(
                "test",
                new RouterConfig.Listen("127.0.0.1", 0),
                Directives.concat(
                    new StreamableHttpRoutes(
                            slowRegistry.getRef(),
                            directory,
                            settings,
                            testKit.system(),
                            McpAccess.keysOnly(new KnownKeys(routerConfig.servers().keySet())),
                            OutputBudget.of(settings, testKit.system()),
                            key -> true)
                        .routes(),
                    new LegacySseRoutes(
                            slowRegistry.getRef(),
                            directory,
                            settings,
                            testKit.system(),
                            McpAccess.keysOnly(new KnownKeys(routerConfig.servers().keySet())),
                            OutputBudget.of(settings, testKit.system()))
                        .routes()),
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
  void aStreamableInitializeWhoseAskTimedOutLeavesNoSessionAndNoChild() throws Exception {
    long before = McpHttp.descendants();
    HttpResponse<String> timedOut = mcp.initializeOnly("solo");
    assertEquals(504, timedOut.statusCode(), timedOut.body());
    registry.tell(slowRegistry.expectMessageClass(ServerRegistry.OpenSession.class));
    awaitNothingLeft(before);
  }

  @Test
  void aLegacyGetWhoseAskTimedOutLeavesNoSession() throws Exception {
    long before = McpHttp.descendants();
    HttpResponse<String> timedOut = SseClientless.get(binding.localAddress().getPort(), "solo");
    assertEquals(504, timedOut.statusCode(), timedOut.body());
    registry.tell(slowRegistry.expectMessageClass(ServerRegistry.OpenSession.class));
    awaitNothingLeft(before);
  }

  private static void awaitNothingLeft(long descendantsBefore) throws Exception {
    Await.until(
        Duration.ofSeconds(20),
        () ->
            "no session and no child left; sessions: "
                + sessions()
                + ", processes: "
                + McpHttp.descendants()
                + " (before: "
                + descendantsBefore
                + ")",
        () -> sessions() == 0 && McpHttp.descendants() <= descendantsBefore);
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

  private static final class SseClientless {
    static HttpResponse<String> get(int port, String key) throws Exception {
      return SseTestClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sse/" + key))
                  .timeout(Duration.ofSeconds(10))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    }
  }
}
