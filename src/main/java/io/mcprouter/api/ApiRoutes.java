package io.mcprouter.api;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.path;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;

/** The REST API server (default port 8027). Its /v1 endpoints build on the same registry. */
public final class ApiRoutes {

  public Route routes() {
    return HealthRoute.route();
  }

  /** {@code GET /health}: the process is up and serving HTTP. */
  public static final class HealthRoute {
    private HealthRoute() {}

    public static Route route() {
      return path("health", () -> get(() -> complete(StatusCodes.OK,
          HttpEntities.create(ContentTypes.APPLICATION_JSON, "{\"status\":\"ok\"}"))));
    }
  }
}
