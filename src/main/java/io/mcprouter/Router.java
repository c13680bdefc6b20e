package io.mcprouter;

import static akka.http.javadsl.server.Directives.concat;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.ServerBinding;
import com.typesafe.config.Config;
import io.mcprouter.access.McpAccess;
import io.mcprouter.admin.AdminRoutes;
import io.mcprouter.api.ApiRoutes;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.StartupChecks;
import io.mcprouter.control.LocalServerControl;
import io.mcprouter.control.RemoteServerControl;
import io.mcprouter.control.ServerControl;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.HttpServer;
import io.mcprouter.http.connection.Connections;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.transport.sse.LegacySseRoutes;
import io.mcprouter.transport.streamable.StreamableHttpRoutes;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running router: the actor system (whose root is the {@link Guardian}, above the {@link
 * ServerRegistry}) and the HTTP servers the command asked for. Stopping it runs coordinated
 * shutdown, which unbinds, then stops every MCP server gracefully, escalating to signals.
 */
public final class Router {

  private static final Duration UNBIND_DRAIN = Duration.ofSeconds(3);
  private static final Logger log = LoggerFactory.getLogger(Router.class);

  /**
   * The reason {@link #stop()} gives: a shutdown that was asked for, like the JVM's own (SIGTERM,
   * SIGINT).
   */
  private enum StopRequested implements CoordinatedShutdown.Reason {
    INSTANCE
  }

  /** Where the registry's behavior comes from; tests put one that fails where the real one goes. */
  interface RegistryFactory {
    Behavior<ServerRegistry.Command> create(
        RouterConfig config, RouterSettings settings, SessionDirectory directory);
  }

  private final ActorSystem<Guardian.Command> system;
  private final ActorRef<ServerRegistry.Command> registry;
  private final RouterSettings settings;
  private final OutputBudget budget;
  private final Optional<ServerBinding> proxy;
  private final Optional<ServerBinding> api;

  private Router(
      ActorSystem<Guardian.Command> system,
      ActorRef<ServerRegistry.Command> registry,
      RouterSettings settings,
      OutputBudget budget,
      Optional<ServerBinding> proxy,
      Optional<ServerBinding> api) {
    this.system = system;
    this.registry = registry;
    this.settings = settings;
    this.budget = budget;
    this.proxy = proxy;
    this.api = api;
  }

  public static CompletionStage<Router> start(
      RouterConfig config, Config akkaConfig, CommandLine.Command command) {
    return start(config, akkaConfig, command, ServerRegistry::create);
  }

  static CompletionStage<Router> start(
      RouterConfig config,
      Config akkaConfig,
      CommandLine.Command command,
      RegistryFactory registryFactory) {
    RouterSettings settings = RouterSettings.fromConfig(akkaConfig);
    config.loadWarnings().forEach(log::warn);
    StartupChecks.exposure(config, command.runsProxy(), command.runsApi()).forEach(log::warn);
    settings.json().mapper(); // built here, not on the thread of the first request that parses
    SessionDirectory directory = new SessionDirectory();
    ActorSystem<Guardian.Command> system =
        ActorSystem.create(
            Guardian.create(registryFactory.create(config, settings, directory), settings),
            "mcprouter",
            akkaConfig);
    return AskPattern.<Guardian.Command, ActorRef<ServerRegistry.Command>>ask(
            system, Guardian.GetRegistry::new, settings.askTimeout(), system.scheduler())
        .thenCompose(registry -> bind(config, command, settings, directory, system, registry))
        .whenComplete(
            (router, failure) -> {
              if (failure != null) {
                system.terminate();
              }
            });
  }

  private static CompletionStage<Router> bind(
      RouterConfig config,
      CommandLine.Command command,
      RouterSettings settings,
      SessionDirectory directory,
      ActorSystem<Guardian.Command> system,
      ActorRef<ServerRegistry.Command> registry) {
    CompletableFuture<Optional<ServerBinding>> proxy =
        CompletableFuture.completedFuture(Optional.empty());
    CompletableFuture<Optional<ServerBinding>> api =
        CompletableFuture.completedFuture(Optional.empty());
    ServerControl local = new LocalServerControl(registry, settings, system);
    // one file-descriptor table for the whole process: both servers count against one limit
    Connections connections = Connections.of(settings, system);
    OutputBudget budget = OutputBudget.of(settings, system);
    if (command.runsProxy()) {
      McpAccess keys = new McpAccess(config);
      var routes =
          concat(
              new LegacySseRoutes(registry, directory, settings, system, keys, budget).routes(),
              new StreamableHttpRoutes(
                      registry,
                      directory,
                      settings,
                      system,
                      keys,
                      budget,
                      key ->
                          config.servers().get(key) != null
                              && config.servers().get(key).shareProcess())
                  .routes(),
              new AdminRoutes(registry, config, settings, system, local).routes(),
              ApiRoutes.HealthRoute.route());
      proxy =
          HttpServer.start(
                  "proxy",
                  config.proxyServer(),
                  routes,
                  ErrorHandling.Style.JSON_RPC,
                  settings,
                  UNBIND_DRAIN,
                  connections,
                  system)
              .thenApply(Optional::of)
              .toCompletableFuture();
    }
    if (command.runsApi()) {
      // on its own, the API acts on the proxy's servers through the proxy's /admin endpoints
      ServerControl control =
          command.runsProxy()
              ? local
              : new RemoteServerControl(config.proxyUrl(), config.adminToken(), system);
      api =
          HttpServer.start(
                  "api",
                  config.apiServer(),
                  new ApiRoutes(registry, config, settings, system, control).routes(),
                  ErrorHandling.Style.API_ENVELOPE,
                  settings,
                  UNBIND_DRAIN,
                  connections,
                  system)
              .thenApply(Optional::of)
              .toCompletableFuture();
    }
    CompletableFuture<Optional<ServerBinding>> proxyBinding = proxy;
    CompletableFuture<Optional<ServerBinding>> apiBinding = api;
    return CompletableFuture.allOf(proxy, api)
        .thenApply(
            done ->
                new Router(
                    system, registry, settings, budget, proxyBinding.join(), apiBinding.join()));
  }

  public ActorSystem<?> system() {
    return system;
  }

  ActorRef<ServerRegistry.Command> registry() {
    return registry;
  }

  public RouterSettings settings() {
    return settings;
  }

  /** Unsent client output, router-wide. */
  public OutputBudget outputBudget() {
    return budget;
  }

  public int proxyPort() {
    return proxy.orElseThrow().localAddress().getPort();
  }

  public int apiPort() {
    return api.orElseThrow().localAddress().getPort();
  }

  /** Coordinated shutdown: unbind, stop every MCP server, terminate the actor system. */
  public CompletionStage<Done> stop() {
    return CoordinatedShutdown.get(system).runAll(StopRequested.INSTANCE);
  }

  /**
   * Completes when the actor system has terminated: empty after a shutdown that was asked for
   * ({@link #stop()}, or the JVM's shutdown hook on SIGTERM/SIGINT), else why the router ended.
   */
  public CompletionStage<Optional<String>> terminated() {
    return system
        .getWhenTerminated()
        .thenApply(t -> unplanned(CoordinatedShutdown.get(system).getShutdownReason()));
  }

  static Optional<String> unplanned(Optional<CoordinatedShutdown.Reason> reason) {
    if (reason.isEmpty()) {
      return Optional.of("the actor system terminated without a coordinated shutdown");
    }
    CoordinatedShutdown.Reason r = reason.get();
    if (r == StopRequested.INSTANCE || r == CoordinatedShutdown.jvmExitReason()) {
      return Optional.empty();
    }
    if (r instanceof Guardian.Unplanned unplanned) {
      return Optional.of(unplanned.reason());
    }
    // ActorSystemTerminateReason: the root actor ended, or something called terminate() directly
    return Optional.of(
        "the actor system terminated (" + r.getClass().getSimpleName().replace("$", "") + ")");
  }
}
