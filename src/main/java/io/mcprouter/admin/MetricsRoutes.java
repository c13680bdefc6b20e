package io.mcprouter.admin;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.Route;
import io.mcprouter.access.Credentials;
import io.mcprouter.config.LiveConfig;
import io.mcprouter.config.RouterSettings;
import io.mcprouter.http.Endpoint;
import io.mcprouter.observe.Observability;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * {@code GET /metrics}: the Prometheus text exposition, on the proxy and the API port, protected as
 * {@code /admin} is unless {@code mcprouter.metrics.require-admin = false}. A scrape reads counters
 * and the session directory, never asks an actor; it runs on the blocking dispatcher so a large
 * registry does not hold a thread of the HTTP streams.
 */
public final class MetricsRoutes {

  private static final ContentType TEXT =
      ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final Observability observability;
  private final Credentials credentials;
  private final boolean requireAdmin;
  private final Executor blocking;

  public MetricsRoutes(
      Observability observability, LiveConfig config, RouterSettings settings, Executor blocking) {
    this.observability = observability;
    this.credentials = new Credentials(config);
    this.requireAdmin = settings.observe().metricsRequireAdmin();
    this.blocking = blocking;
  }

  static final Endpoint METRICS = Endpoint.get(Endpoint.TOP, "metrics");

  /** What this class serves, as openapi.json documents it. */
  public static final List<Endpoint> ENDPOINTS = List.of(METRICS);

  public Route routes() {
    if (!observability.metricsEnabled()) {
      return Directives.reject();
    }
    return METRICS.route(
        () ->
            requireAdmin
                ? AdminRoutes.operatorOnly(credentials, "/metrics", this::scrape)
                : scrape());
  }

  private Route scrape() {
    return Directives.completeWithFuture(
        CompletableFuture.supplyAsync(
            () ->
                HttpResponse.create()
                    .withStatus(StatusCodes.OK)
                    .withEntity(HttpEntities.create(TEXT, observability.scrape())),
            blocking));
  }
}
