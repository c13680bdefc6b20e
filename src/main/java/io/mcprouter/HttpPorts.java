package io.mcprouter;

import static akka.http.javadsl.server.Directives.concat;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import io.mcprouter.access.Credentials;
import io.mcprouter.access.McpAccess;
import io.mcprouter.admin.AdminRoutes;
import io.mcprouter.admin.MetricsRoutes;
import io.mcprouter.api.ApiRoutes;
import io.mcprouter.api.OpenApiDocument;
import io.mcprouter.cli.CommandLine;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.config.ServerSpec;
import io.mcprouter.control.LocalServerControl;
import io.mcprouter.control.RemoteServerControl;
import io.mcprouter.control.ServerControl;
import io.mcprouter.health.HealthRoutes;
import io.mcprouter.health.Readiness;
import io.mcprouter.http.ErrorHandling;
import io.mcprouter.http.HttpServer;
import io.mcprouter.http.connection.Connections;
import io.mcprouter.observe.Observability;
import io.mcprouter.reload.ConfigReloader;
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

  private final LiveConfig config;
  private final CommandLine.Command command;
  private final RouterSettings settings;
  private final SessionDirectory directory;
  private final Observability observability;
  private final OpenApiDocument openApi;
  private final TraceHeaders traceHeaders;

  /** Constructed on the thread that starts the router, which reads the OpenAPI document. */
  HttpPorts(
      LiveConfig config,
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
    this.openApi = OpenApiDocument.load();
  }

  /** Fails, with the bind's own error, if either port cannot be bound. */
  CompletionStage<Bindings> bind(
      ActorRef<ServerRegistry.Command> registry,
      ActorRef<ConfigReloader.Command> reloader,
      OutputBudget budget,
      ActorSystem<?> system) {
    // bound once: a reload that changes a listen address says it needs a restart
    RouterConfig started = config.get();
    CompletableFuture<Optional<ServerBinding>> proxy =
        CompletableFuture.completedFuture(Optional.empty());
    CompletableFuture<Optional<ServerBinding>> api =
        CompletableFuture.completedFuture(Optional.empty());
    ServerControl local = new LocalServerControl(registry, settings, system);
    // one file-descriptor table for the whole process: both servers count against one limit
    Connections connections = Connections.of(settings, system);
    Readiness readiness = new Readiness();
    HealthRoutes health =
        new HealthRoutes(
            registry, new Credentials(config), settings.healthTimeout(), system, readiness);
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
                      key -> config.get().server(key).map(ServerSpec::shareProcess).orElse(false),
                      traceHeaders)
                  .routes(),
              new AdminRoutes(registry, config, settings, system, local, Optional.of(reloader))
                  .routes(),
              metrics,
              health.routes());
      proxy =
          HttpServer.start(
                  "proxy",
                  started.proxyServer(),
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
              : new RemoteServerControl(
                  started.proxyUrl(), () -> config.get().adminToken(), system);
      api =
          HttpServer.start(
                  "api",
                  started.apiServer(),
                  concat(
                      metrics,
                      health.routes(),
                      new ApiRoutes(
                              registry, config, settings, system, control, openApi, traceHeaders)
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
        .thenApply(
            done -> {
              readiness.portsBound();
              return new Bindings(proxyBinding.join(), apiBinding.join());
            });
  }
}
