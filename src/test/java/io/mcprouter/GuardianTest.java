package io.mcprouter;

import static io.mcprouter.testsupport.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.LoggingTestKit;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterConfigFiles;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.testsupport.Await;
import io.mcprouter.testsupport.Processes;
import io.mcprouter.testsupport.SseTestClient;
import io.mcprouter.testsupport.TestRouter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The guardian's policy with a real router and real children: an exception in a registry handler is
 * one log line and the registry goes on with its servers; a registry that ends anyway ends the
 * router with every child stopped and a reason, and only a requested stop counts as a clean exit.
 */
class GuardianTest {

  private static final HttpClient http = SseTestClient.newHttpClient();

  /** Throws whatever {@code next} holds (once) when the registry is asked for its clients. */
  private static Router.RegistryFactory failingOnListClients(AtomicReference<Throwable> next) {
    return (config, settings, directory, observability) ->
        Behaviors.intercept(
            () ->
                new BehaviorInterceptor<ServerRegistry.Command, ServerRegistry.Command>(
                    ServerRegistry.Command.class) {
                  @Override
                  public Behavior<ServerRegistry.Command> aroundReceive(
                      TypedActorContext<ServerRegistry.Command> context,
                      ServerRegistry.Command message,
                      ReceiveTarget<ServerRegistry.Command> target) {
                    Throwable failure =
                        message instanceof ServerRegistry.ListClients ? next.getAndSet(null) : null;
                    if (failure instanceof Error error) {
                      throw error;
                    }
                    if (failure instanceof RuntimeException exception) {
                      throw exception;
                    }
                    return target.apply(context, message);
                  }
                },
            ServerRegistry.create(config, settings, directory));
  }

  private static Router start(Router.RegistryFactory registry) throws Exception {
    Config akka =
        ConfigFactory.parseString("mcprouter.ask-timeout = 3s")
            .withFallback(ConfigFactory.parseString(TestRouter.TEST_SETTINGS))
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    return Router.start(
            TestRouter.config(
                TestRouter.servers(TestRouter.fake("shared", true), TestRouter.fake("own", false)),
                Optional.empty(),
                "http://127.0.0.1:1"),
            akka,
            CommandLine.Command.SERVE,
            registry)
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
  }

  private static long tool(SseTestClient client, int id, String name) throws Exception {
    return Long.parseLong(
        client
            .call(id, "tools/call", toolCall(name, Map.of()))
            .path("result")
            .path("content")
            .path(0)
            .path("text")
            .asText());
  }

  private static void askForClients(Router router) {
    AskPattern.<ServerRegistry.Command, ServerRegistry.Clients>ask(
        router.registry(),
        ServerRegistry.ListClients::new,
        Duration.ofSeconds(1),
        router.system().scheduler());
  }

  private static JsonNode runningServers(Router router) throws Exception {
    HttpResponse<String> listed =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + router.proxyPort() + "/admin/list-running-servers"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, listed.statusCode(), listed.body());
    return SseTestClient.JSON.readTree(listed.body()).path("data").path("servers");
  }

  @Test
  void anExceptionInARegistryHandlerIsOneLogLineAndTheRegistryGoesOnWithItsServers()
      throws Exception {
    AtomicReference<Throwable> next = new AtomicReference<>();
    Router router = start(failingOnListClients(next));
    try (SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "shared")) {
      client.initialize(1, null);
      long pid = tool(client, 2, "pid");
      next.set(new IllegalStateException("injected\nsecond line"));
      LoggingTestKit.error(
              "server registry failed handling ListClients, resumed with its state: "
                  + "java.lang.IllegalStateException: injected at ")
          .withOccurrences(1)
          .expect(
              router.system(),
              () -> {
                askForClients(router);
                return null;
              });

      // the same child, with its session, is still indexed and served
      JsonNode servers = runningServers(router);
      assertEquals(1, servers.size(), servers.toString());
      assertEquals(pid, servers.get(0).path("pid").asLong());
      assertEquals(1, servers.get(0).path("sessions").asInt(), servers.toString());
      assertEquals(pid, tool(client, 3, "pid"));
    } finally {
      router.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    assertEquals(
        Optional.empty(), router.terminated().toCompletableFuture().get(10, TimeUnit.SECONDS));
  }

  @Test
  void aRegistryThatEndsAnywayStopsTheRouterAndEveryChildAndMainExitsNonZeroWithTheReason()
      throws Exception {
    AtomicReference<Throwable> next = new AtomicReference<>();
    Router router = start(failingOnListClients(next));
    SseTestClient shared = SseTestClient.connect(http, router.proxyPort(), "shared");
    SseTestClient own = SseTestClient.connect(http, router.proxyPort(), "own");
    shared.initialize(1, null);
    own.initialize(1, null);
    List<Long> pids =
        List.of(tool(shared, 2, "pid"), tool(shared, 3, "spawn_child"), tool(own, 2, "pid"));
    assertTrue(pids.stream().allMatch(Processes::alive));

    // an Error is not resumed: it leaves the JVM or the code in doubt
    next.set(new AssertionError("injected"));
    askForClients(router);
    Optional<String> reason = router.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(reason.isPresent());
    assertTrue(
        reason
            .get()
            .startsWith("the server registry failed: java.lang.AssertionError: injected at "),
        reason.get());
    Await.until(
        Duration.ofSeconds(5),
        "every child and grandchild gone",
        () -> pids.stream().noneMatch(Processes::alive));
    shared.ended().get(5, TimeUnit.SECONDS);
    own.ended().get(5, TimeUnit.SECONDS);

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(
        1, Main.awaitTermination(router, new PrintStream(err, true, StandardCharsets.UTF_8)));
    List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(
        lines.get(0).startsWith("mcprouter: stopped unexpectedly: the server registry failed: "),
        lines.get(0));
  }

  @Test
  void anActorSystemTerminatedWithoutAStopRequestIsUnplannedAndStopsTheChildren() throws Exception {
    Router router = start(ServerRegistry::create);
    SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "shared");
    client.initialize(1, null);
    long pid = tool(client, 2, "pid");
    router.system().terminate();
    Optional<String> reason = router.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Optional.of("the actor system terminated (ActorSystemTerminateReason)"), reason);
    Await.until(Duration.ofSeconds(5), "the child gone", () -> !Processes.alive(pid));
    assertEquals(
        1,
        Main.awaitTermination(
            router, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
  }

  @Test
  void aRegistryThatStopsStopsTheRouterWithTheReasonAndMainExitsNonZero() throws Exception {
    Router router =
        start(
            (config, settings, directory, observability) ->
                Behaviors.intercept(
                    () ->
                        new BehaviorInterceptor<ServerRegistry.Command, ServerRegistry.Command>(
                            ServerRegistry.Command.class) {
                          @Override
                          public Behavior<ServerRegistry.Command> aroundReceive(
                              TypedActorContext<ServerRegistry.Command> context,
                              ServerRegistry.Command message,
                              ReceiveTarget<ServerRegistry.Command> target) {
                            return message instanceof ServerRegistry.ListClients
                                ? Behaviors.stopped()
                                : target.apply(context, message);
                          }
                        },
                    ServerRegistry.create(config, settings, directory)));
    SseTestClient client = SseTestClient.connect(http, router.proxyPort(), "own");
    client.initialize(1, null);
    long pid = tool(client, 2, "pid");
    askForClients(router);
    Optional<String> reason = router.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(Optional.of("the server registry stopped; every MCP server was stopped"), reason);
    Await.until(Duration.ofSeconds(5), "the child gone", () -> !Processes.alive(pid));
    assertEquals(
        1,
        Main.awaitTermination(
            router, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
  }

  @Test
  void aPortInUseFailsTheStartWithTheBindErrorAndEndsTheActorSystem() throws Exception {
    AtomicReference<ActorSystem<?>> system = new AtomicReference<>();
    Config akka =
        ConfigFactory.parseString(TestRouter.TEST_SETTINGS)
            .withFallback(RouterConfigFiles.load(ConfigFactory.empty()));
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      RouterConfig config =
          new RouterConfig(
              Path.of("test"),
              new RouterConfig.Listen("127.0.0.1", taken.getLocalPort()),
              new RouterConfig.Listen("127.0.0.1", 0),
              TestRouter.servers(TestRouter.fake("own", false)),
              Optional.empty(),
              "http://127.0.0.1:1");
      ExecutionException failed =
          assertThrows(
              ExecutionException.class,
              () ->
                  Router.start(
                          config,
                          akka,
                          CommandLine.Command.SERVE,
                          (c, settings, directory, observability) ->
                              Behaviors.setup(
                                  context -> {
                                    system.set(context.getSystem());
                                    return ServerRegistry.create(c, settings, directory);
                                  }))
                      .toCompletableFuture()
                      .get(30, TimeUnit.SECONDS));
      Throwable root = failed;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      assertTrue(String.valueOf(root.getMessage()).contains("in use"), root.toString());
    }
    system.get().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aRequestedStopIsACleanExit() throws Exception {
    Router router = start(ServerRegistry::create);
    router.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(
        0, Main.awaitTermination(router, new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertEquals("", err.toString(StandardCharsets.UTF_8));
  }
}
