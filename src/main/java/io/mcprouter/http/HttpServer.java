package io.mcprouter.http;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import io.mcprouter.config.RouterConfig;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** Binds one HTTP server and ties its unbinding to the actor system's coordinated shutdown. */
public final class HttpServer {

  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(
      String name, RouterConfig.Listen listen, Route route, Duration drain, ActorSystem<?> system) {
    return Http.get(system)
        .newServerAt(listen.host(), listen.port())
        .bind(ErrorHandling.wrap(route))
        .thenApply(binding -> {
          system.log().info("{} listening on http://{}:{}", name,
              binding.localAddress().getHostString(), binding.localAddress().getPort());
          return binding.addToCoordinatedShutdown(drain, system);
        });
  }
}
