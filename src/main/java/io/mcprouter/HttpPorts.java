package io.mcprouter;

import static akka.http.javadsl.server.Directives.concat;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import io.mcprouter.access.McpAccess;
import io.mcprouter.admin.AdminRoutes;
import io.mcprouter.admin.MetricsRoutes;
import io.mcprouter.api.ApiRoutes;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.control.LocalServerControl;
import io.mcprouter.control.RemoteServerControl;
import io.mcprouter.control.ServerControl;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.HttpServer;
import io.mcprouter.http.connection.Connections;
import io.mcprouter.observe.Observability;
import io.mcprouter.server.ServerRegistry;
import io.mcprouter.server.SessionDirectory;
import io.mcprouter.session.OutputBudget;
import io.mcprouter.trace.TraceHeaders;
import io.mcprouter.transport.sse.LegacySseRoutes;
import io.mcprouter.transport.streamable.StreamableHttpRoutes;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The router's ports, as the command asks for them: which routes each serves and its binding. The
 * {@link Guardian} binds them once it has spawned the registry they ask.
 */
final class HttpPorts {

  private static final Duration UNBIND_DRAIN = Duration.ofSeconds(3);

  /** Where each port listens; empty for a port the command does not run. */
  record Bindings(Optional<ServerBinding> proxy, Optional<ServerBinding> api) {}

  private final RouterConfig config;
  private final CommandLine.Command command;
  private final RouterSettings settings;
  private final SessionDirectory directory;
  private final Observability observability;
  private final TraceHeaders traceHeaders;

  HttpPorts(
      RouterConfig config,
      CommandLine.Command command,
      RouterSettings settings,
      SessionDirectory directory,
      Observability observability,
      TraceHeaders traceHeaders) {
    this.observability = observability;
    this.traceHeaders = traceHeaders;
    this.config = config;
    this.command = command;
    this.settings = settings;
    this.directory = directory;
  }

  /** Fails, with the bind's own error, if either port cannot be bound. */
  CompletionStage<Bindings> bind(
      ActorRef<ServerRegistry.Command> registry, OutputBudget budget, ActorSystem<?> system) {
    CompletableFuture<Optional<ServerBinding>> proxy =
        CompletableFuture.completedFuture(Optional.empty());
    CompletableFuture<Optional<ServerBinding>> api =
        CompletableFuture.completedFuture(Optional.empty());
    ServerControl local = new LocalServerControl(registry, settings, system);
    // one file-descriptor table for the whole process: both servers count against one limit
    Connections connections = Connections.of(settings, system);
    Route metrics =
        new MetricsRoutes(
                observability,
                config,
                settings,
                system
                    .dispatchers()
                    .lookup(DispatcherSelector.fromConfig(settings.blockingDispatcher())))
            .routes();
    if (command.runsProxy()) {
      McpAccess keys = new McpAccess(config);
      var routes =
          concat(
              new LegacySseRoutes(registry, directory, settings, system, keys, budget, traceHeaders)
                  .routes(),
              new StreamableHttpRoutes(
                      registry,
                      directory,
                      settings,
                      system,
                      keys,
                      budget,
                      key ->
                          config.servers().get(key) != null
                              && config.servers().get(key).shareProcess(),
                      traceHeaders)
                  .routes(),
              new AdminRoutes(registry, config, settings, system, local).routes(),
              metrics,
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
                  system,
                  observability)
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
                  concat(
                      metrics,
                      new ApiRoutes(registry, config, settings, system, control, traceHeaders)
                          .routes()),
                  ErrorHandling.Style.API_ENVELOPE,
                  settings,
                  UNBIND_DRAIN,
                  connections,
                  system,
                  observability)
              .thenApply(Optional::of)
              .toCompletableFuture();
    }
    CompletableFuture<Optional<ServerBinding>> proxyBinding = proxy;
    CompletableFuture<Optional<ServerBinding>> apiBinding = api;
    return CompletableFuture.allOf(proxy, api)
        .thenApply(done -> new Bindings(proxyBinding.join(), apiBinding.join()));
  }
}
