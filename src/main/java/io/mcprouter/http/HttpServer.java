package io.mcprouter.http;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import io.mcprouter.config.RouterConfig;
import io.mcprouter.http.connection.ConnectionServer;
import io.mcprouter.http.connection.Connections;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds one HTTP server and ties its unbinding to the actor system's coordinated shutdown. */
public final class HttpServer {

  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(
      String name, RouterConfig.Listen listen, Route route, ErrorHandling.Style errors, Duration drain,
      Connections connections, ActorSystem<?> system) {
    return ConnectionServer.bind(listen.host(), listen.port(), ErrorHandling.wrap(route, errors), connections, system)
        .thenApply(binding -> {
          log.info("{} listening on http://{}:{}", name,
              binding.localAddress().getHostString(), binding.localAddress().getPort());
          return binding.addToCoordinatedShutdown(drain, system);
        });
  }
}
