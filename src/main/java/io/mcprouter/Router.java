package io.mcprouter;

import static akka.http.javadsl.server.Directives.concat;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.ServerBinding;
import io.mcprouter.admin.AdminRoutes;
import io.mcprouter.api.ApiRoutes;
import io.mcprouter.api.LocalServerControl;
import io.mcprouter.api.RemoteServerControl;
import io.mcprouter.api.ServerControl;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.HttpServer;
import io.mcprouter.http.OriginGuard;
import io.mcprouter.http.connection.Connections;
import io.mcprouter.transport.streamable.StreamableHttpRoutes;
import io.mcprouter.process.ServerRegistry;
import io.mcprouter.process.SessionDirectory;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.transport.sse.LegacySseRoutes;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A running router: the actor system (whose guardian is the {@link ServerRegistry}) and the HTTP
 * servers the command asked for. Stopping it runs coordinated shutdown, which unbinds, then stops
 * every MCP server gracefully, escalating to signals.
 */
public final class Router {

  private static final Duration UNBIND_DRAIN = Duration.ofSeconds(3);

  private final ActorSystem<ServerRegistry.Command> system;
  private final RouterSettings settings;
  private final OutputBudget budget;
  private final Optional<ServerBinding> proxy;
  private final Optional<ServerBinding> api;

  private Router(ActorSystem<ServerRegistry.Command> system, RouterSettings settings, OutputBudget budget,
      Optional<ServerBinding> proxy, Optional<ServerBinding> api) {
    this.system = system;
    this.settings = settings;
    this.budget = budget;
    this.proxy = proxy;
    this.api = api;
  }

  public static CompletionStage<Router> start(RouterConfig config, Config akkaConfig, CommandLine.Command command) {
    RouterSettings settings = RouterSettings.fromConfig(akkaConfig);
    settings.json().mapper(); // built here, not on the thread of the first request that parses
    SessionDirectory directory = new SessionDirectory();
    ActorSystem<ServerRegistry.Command> system =
        ActorSystem.create(ServerRegistry.create(config, settings, directory), "mcprouter", akkaConfig);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-mcp-servers",
        () -> AskPattern.<ServerRegistry.Command, Done>ask(system, ServerRegistry.StopAll::new,
            settings.shutdownTimeout(), system.scheduler()));

    CompletableFuture<Optional<ServerBinding>> proxy = CompletableFuture.completedFuture(Optional.empty());
    CompletableFuture<Optional<ServerBinding>> api = CompletableFuture.completedFuture(Optional.empty());
    ServerControl local = new LocalServerControl(system, settings, system);
    // one file-descriptor table for the whole process: both servers count against one limit
    Connections connections = Connections.of(settings, system);
    OutputBudget budget = OutputBudget.of(settings, system);
    if (command.runsProxy()) {
      OriginGuard guard = new OriginGuard(config.proxyServer().host(), settings.allowedOrigins(), settings.allowedHosts());
      var routes = concat(
          new LegacySseRoutes(system, directory, settings, system, guard, budget).routes(),
          new StreamableHttpRoutes(system, directory, settings, system, guard, budget).routes(),
          new AdminRoutes(system, config, settings, system, local).routes(),
          ApiRoutes.HealthRoute.route());
      proxy = HttpServer.start("proxy", config.proxyServer(), routes, ErrorHandling.Style.JSON_RPC, UNBIND_DRAIN, connections, system)
          .thenApply(Optional::of).toCompletableFuture();
    }
    if (command.runsApi()) {
      // on its own, the API acts on the proxy's servers through the proxy's /admin endpoints
      ServerControl control = command.runsProxy() ? local
          : new RemoteServerControl(config.proxyUrl(), config.adminToken(), system);
      api = HttpServer.start("api", config.apiServer(), new ApiRoutes(system, config, settings, system, control).routes(),
          ErrorHandling.Style.API_ENVELOPE, UNBIND_DRAIN, connections, system).thenApply(Optional::of).toCompletableFuture();
    }
    CompletableFuture<Optional<ServerBinding>> proxyBinding = proxy;
    CompletableFuture<Optional<ServerBinding>> apiBinding = api;
    return CompletableFuture.allOf(proxy, api)
        .thenApply(done -> new Router(system, settings, budget, proxyBinding.join(), apiBinding.join()))
        .whenComplete((router, failure) -> {
          if (failure != null) {
            system.terminate();
          }
        });
  }

  public ActorSystem<ServerRegistry.Command> system() {
    return system;
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
    return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
  }
}
