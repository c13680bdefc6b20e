package io.mcprouter.http;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.http.connection.ConnectionServer;
import io.mcprouter.http.connection.Connections;
import io.mcprouter.observe.Observability;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds one HTTP server and ties its unbinding to the actor system's coordinated shutdown. Every
 * request of the port passes its {@link RequestGuard} (Origin, Host, body type) before the routes.
 */
public final class HttpServer {

  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(
      String name,
      RouterConfig.Listen listen,
      Route route,
      ErrorHandling.Style errors,
      RouterSettings settings,
      Duration drain,
      Connections connections,
      ActorSystem<?> system) {
    return start(
        name, listen, route, errors, settings, drain, connections, system, Observability.off());
  }

  /** {@code observability}: each response is counted, and each 4xx written to the access log. */
  public static CompletionStage<ServerBinding> start(
      String name,
      RouterConfig.Listen listen,
      Route route,
      ErrorHandling.Style errors,
      RouterSettings settings,
      Duration drain,
      Connections connections,
      ActorSystem<?> system,
      Observability observability) {
    RequestGuard guard =
        new RequestGuard(
            new OriginGuard(listen.host(), settings.allowedOrigins(), settings.allowedHosts()),
            errors);
    return ConnectionServer.bind(
            listen.host(),
            listen.port(),
            ObservedResponses.wrap(
                name, observability, ErrorHandling.wrap(guard.wrap(route), errors)),
            connections,
            system)
        .thenApply(
            binding -> {
              log.info(
                  "{} listening on http://{}:{}",
                  name,
                  binding.localAddress().getHostString(),
                  binding.localAddress().getPort());
              return binding.addToCoordinatedShutdown(drain, system);
            });
  }
}
